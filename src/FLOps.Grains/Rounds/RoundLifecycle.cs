using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;

namespace FLOps.Grains.Rounds;

/// <summary>
/// The lifecycle rounds and cycles (root aggregators) share: start once (a repeated start nudges
/// an open one or reports a finished one again), a one-shot deadline, quorum or fail
/// (<see cref="RoundDeadline"/>), and the outcome reported to the plan's <see cref="IRoundParent"/>.
/// </summary>
public static class RoundLifecycle
{
    /// <summary>
    /// What a repeated <c>Start</c> does: <see langword="true"/> for a round not started yet (the
    /// caller begins it); a closed or failed one reports again (its outcome may not have reached
    /// its parent, whose silo may have died); an open one is nudged.
    /// </summary>
    public static async Task<bool> ShouldBegin(RoundStatus status, Func<Task> reportAgain, Action nudgeOpen)
    {
        switch (status)
        {
            case RoundStatus.NotStarted:
                return true;
            case RoundStatus.Closed or RoundStatus.Failed:
                await reportAgain();
                return false;
            case RoundStatus.Open:
                nudgeOpen();
                return false;
            default:
                return false;
        }
    }

    /// <summary>Tells the plan's parent how the round (or cycle) ended.</summary>
    public static Task Report(IGrainFactory grains, RoundPlan plan, RoundStatus status, RoundSummary? summary, string? failureReason) =>
        RoundPlan.ParentOf(plan, grains).OnRoundEnded(OutcomeOf(plan, status, summary, failureReason));

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
    private static RoundOutcome OutcomeOf(RoundPlan plan, RoundStatus status, RoundSummary? summary, string? failureReason) => status == RoundStatus.Closed
        ? new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = true, Summary = summary }
        : new RoundOutcome { Round = plan.Round, Attempt = plan.Attempt, Succeeded = false, FailureReason = failureReason };
}
