using FLOps.Abstractions.Devices;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Devices;

/// <summary>
/// A round's participants among a simulated fleet, chosen as <see cref="ParticipantSampler"/>
/// chooses among ids: the same devices as a list of the fleet's ids would give (up to 10,000
/// devices, where ids sort as their indexes do), at a cost that follows the sample, not the fleet.
/// </summary>
public static class SimulatedFleetSampler
{
    public static IReadOnlyList<string> Select(SimulatedFleet fleet, ParticipantSelection selection)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var positions = ParticipantSampler.SelectIndexes(fleet.Available, selection);
        var ids = new string[positions.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = fleet.DeviceId(fleet.IndexAt(positions[i]));
        }

        return ids;
    }
}
