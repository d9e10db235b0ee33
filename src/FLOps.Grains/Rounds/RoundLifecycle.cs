using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;

namespace FLOps.Grains.Rounds;

/// <summary>What rounds and cycles (root aggregators) share: their one-shot deadline and how they word their outcome.</summary>
internal static class RoundTimers
{
    /// <summary>
    /// Calls <paramref name="callback"/> once, at <paramref name="deadline"/> (at once if it passed).
    /// A callback that fails (closing with its storage away, say) may have left the grain's memory
    /// half-way through a transition, with its timers spent: the grain is deactivated, so that the
    /// next call (the project's tick asks every open round to start) activates it from durable
    /// state, which re-arms the deadline and closes it again.
    /// </summary>
    public static IGrainTimer At<TGrain>(this TGrain grain, DateTimeOffset deadline, TimeProvider time, Func<TGrain, Task> callback)
        where TGrain : Grain
    {
        var remaining = deadline - time.GetUtcNow();
        return grain.RegisterGrainTimer(
            static (state, _) => state.Grain.ReloadIfFails(() => state.Callback(state.Grain)),
            (Grain: grain, Callback: callback),
            new GrainTimerCreationOptions(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// Runs a state transition of a round or cycle; if it fails half-way, the grain is deactivated
    /// so that its next activation derives the transition again from durable state.
    /// </summary>
    public static async Task ReloadIfFails(this Grain grain, Func<Task> transition)
    {
        try
        {
            await transition();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            grain.GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, $"a transition failed half-way: {e.Message}"));
            throw;
        }
    }

    /// <summary>The outcome a closed or failed round (or cycle) reports.</summary>
    public static RoundOutcome OutcomeOf(RoundPlan plan, RoundStatus status, RoundSummary? summary, string? failureReason) => status == RoundStatus.Closed
        ? new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = true, Summary = summary }
        : new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = false, FailureReason = failureReason };
}
