using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Learning.Evaluation;

namespace FLOps.Grains.Rounds;

/// <summary>
/// The summary a closed round hands its parent. It holds counts, not device lists: which
/// devices were aggregated stays in the round's state, and failures and rejections are listed
/// only up to <see cref="RoundSummary.MaxListedDevices"/> (with the rest counted), so that a
/// project's history grows with its rounds, not with rounds × devices.
/// </summary>
public static class RoundSummaries
{
    /// <param name="plan">The round's plan.</param>
    /// <param name="state">The round's state (failures, rejections, refusals, resumptions).</param>
    /// <param name="ledger">Who was selected and accepted.</param>
    /// <param name="model">The global model the round produced.</param>
    /// <param name="strategyState">The strategy's state to carry over, as stored.</param>
    /// <param name="evaluation">The new model on the held-out split, if there is one.</param>
    /// <param name="seconds">Wall time from hand-out to recorded result.</param>
    public static RoundSummary Closed(
        RoundPlan plan, RoundGrainState state, RoundLedger ledger, ModelRef model, StrategyStateRef? strategyState, EvaluationResult? evaluation, double seconds)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(ledger);
        var privacy = plan.Spec.Privacy;
        return new RoundSummary
        {
            Round = plan.Round,
            Attempt = plan.Attempt,
            Participants = ledger.Accepted,
            Selected = ledger.Selected,
            Loss = evaluation?.LogLoss,
            Accuracy = evaluation?.Accuracy,
            Seconds = seconds,
            TrainingLoss = ledger.TrainingLoss,
            UpdateBytes = ledger.AcceptedBytes,
            SampleCount = ledger.AcceptedSamples,
            Failures = Listed(state.Failures),
            UnlistedFailures = Unlisted(state.Failures.Count),
            Rejections = Listed(state.Rejections),
            UnlistedRejections = Unlisted(state.Rejections.Count),
            Model = model,
            BaseModel = plan.GlobalModel,
            Resumptions = state.Resumptions,
            RefusedUpdates = state.Refused,
            RefusalReasons = [.. state.RefusalReasons],
            ClippingNorm = privacy?.ClippingNorm,
            NoiseMultiplier = privacy?.NoiseMultiplier,
            StrategyState = strategyState,
        };
    }

    /// <summary>The first <see cref="RoundSummary.MaxListedDevices"/> of <paramref name="devices"/>.</summary>
    public static IReadOnlyList<DeviceFailure> Listed(IEnumerable<DeviceFailure> devices) => [.. devices.Take(RoundSummary.MaxListedDevices)];

    /// <summary>How many of <paramref name="count"/> devices <see cref="Listed"/> leaves out.</summary>
    public static int Unlisted(int count) => Math.Max(0, count - RoundSummary.MaxListedDevices);
}
