using FLOps.Abstractions.Devices;

namespace FLOps.Grains.Devices;

/// <summary>Who simulated device <c>i</c> of a fleet is: the profile projects once configured it with, now derived where it is needed.</summary>
public static class SimulatedDeviceProfile
{
    public static DeviceProfile Of(SimulatedFleet fleet, int index)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, fleet.Count);
        return new DeviceProfile
        {
            Name = $"simulated device {index}",
            DataTags = [fleet.Dataset],
            Cluster = fleet.Clusters.Count == 0 ? "default" : fleet.Clusters[index % fleet.Clusters.Count],
            Shard = fleet.ShardOf(index),
        };
    }
}
