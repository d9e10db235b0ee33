using FLOps.Abstractions.Rounds;
using FLOps.Grains.Devices;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Rounds;

/// <summary>
/// Which devices a round asks to train, reproducible from the plan's seed and round: sampled by
/// index from a simulated fleet, by position from the tenant's sharded device directory, or the
/// strategy's choice among a plan's listed devices. The one place a round reads its population.
/// </summary>
public static class RoundSelection
{
    public static async Task<IReadOnlyList<string>> ParticipantsAsync(RoundPlan plan, IAggregationStrategy strategy, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(strategy);
        var training = plan.Spec.Training;
        var selection = new ParticipantSelection(training.FractionFit, training.MinFitClients, plan.Seed, plan.Round);
        return plan.Fleet is { } fleet ? SimulatedFleetSampler.Select(fleet, selection)
            : plan.DeviceDirectory is { } directory ? await DeviceDirectory.SampleAsync(grains, directory, selection)
            : strategy.SelectParticipants(plan.AvailableDevices, selection);
    }
}
