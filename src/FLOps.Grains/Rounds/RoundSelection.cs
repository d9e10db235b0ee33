using FLOps.Abstractions.Rounds;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Rounds;

/// <summary>
/// Which devices a round asks to train: the strategy's choice among the plan's device
/// population, reproducible from the plan's seed and round. The one place a round reads that
/// population.
/// </summary>
public static class RoundSelection
{
    public static IReadOnlyList<string> Participants(RoundPlan plan, IAggregationStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(strategy);
        var training = plan.Spec.Training;
        return strategy.SelectParticipants(plan.AvailableDevices, new ParticipantSelection(training.FractionFit, training.MinFitClients, plan.Seed, plan.Round));
    }
}
