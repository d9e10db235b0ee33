using FLOps.Abstractions.Devices;

namespace FLOps.Gateway;

/// <summary>
/// This gateway process's observer of device grains: a device holding no task remembers it (see
/// <see cref="IDeviceGrain.WatchNextTask"/>) and tells it of the next task, which ends the long
/// polls waiting here. One object reference per process, whether the gateway is co-hosted with a
/// silo or an Orleans client of a cluster; the singleton keeps it alive (Orleans holds it weakly).
/// </summary>
public sealed class DeviceTaskNotifier : IDeviceTaskObserver
{
    private readonly Lazy<IDeviceTaskObserver> _reference;

    public DeviceTaskNotifier(IGrainFactory grains, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(grains);
        Waiters = new TaskWaiters(time);
        _reference = new Lazy<IDeviceTaskObserver>(() => grains.CreateObjectReference<IDeviceTaskObserver>(this));
    }

    public TaskWaiters Waiters { get; }

    /// <summary>What device grains are given to call back.</summary>
    public IDeviceTaskObserver Reference => _reference.Value;

    public void TaskPending(string deviceId, TrainingTask task) => Waiters.Deliver(deviceId, task);
}
