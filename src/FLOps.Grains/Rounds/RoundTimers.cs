using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;

namespace FLOps.Grains.Rounds;

/// <summary>What rounds and cycles (root aggregators) share: their one-shot deadline and how they word their outcome.</summary>
internal static class RoundTimers
{
    /// <summary>Calls <paramref name="callback"/> once, at <paramref name="deadline"/> (at once if it passed).</summary>
    public static IGrainTimer At<TGrain>(this TGrain grain, DateTimeOffset deadline, TimeProvider time, Func<TGrain, Task> callback)
        where TGrain : Grain
    {
        var remaining = deadline - time.GetUtcNow();
        return grain.RegisterGrainTimer(
            static (state, _) => state.Callback(state.Grain),
            (Grain: grain, Callback: callback),
            new GrainTimerCreationOptions(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>The outcome a closed or failed round (or cycle) reports.</summary>
    public static RoundOutcome OutcomeOf(RoundPlan plan, RoundStatus status, RoundSummary? summary, string? failureReason) => status == RoundStatus.Closed
        ? new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = true, Summary = summary }
        : new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = false, FailureReason = failureReason };
}
