using System.Collections.Concurrent;
using FLOps.Abstractions.Devices;

namespace FLOps.Gateway;

/// <summary>
/// The long polls of one gateway process waiting for a task, by device: a task delivered for a
/// device ends each of its waits. Plain and Orleans-free, so that the waiting itself is tested
/// without a silo; <see cref="DeviceTaskNotifier"/> connects it to the device grains.
/// </summary>
public sealed class TaskWaiters(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, List<TaskWaiter>> _byDevice = new(StringComparer.Ordinal);

    /// <summary>Waits under way, over all devices.</summary>
    public int Count => _byDevice.Values.Sum(waiters => { lock (waiters) { return waiters.Count; } });

    /// <summary>
    /// Starts waiting for the device's next task. Start before asking the device, so that a task
    /// that arrives between its answer and the wait is not missed; dispose the waiter when done.
    /// </summary>
    public TaskWaiter Start(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var waiter = new TaskWaiter(this, deviceId, time);
        while (true)
        {
            var waiters = _byDevice.GetOrAdd(deviceId, _ => []);
            lock (waiters)
            {
                // A list emptied and removed meanwhile is dead: take the one that replaced it.
                if (_byDevice.TryGetValue(deviceId, out var current) && ReferenceEquals(current, waiters))
                {
                    waiters.Add(waiter);
                    return waiter;
                }
            }
        }
    }

    /// <summary>Ends every wait for the device with <paramref name="task"/>; nothing happens when none waits.</summary>
    public void Deliver(string deviceId, TrainingTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!_byDevice.TryGetValue(deviceId, out var waiters))
        {
            return;
        }

        TaskWaiter[] arrived;
        lock (waiters)
        {
            arrived = [.. waiters];
        }

        foreach (var waiter in arrived)
        {
            waiter.Arrive(task);
        }
    }

    internal void Remove(TaskWaiter waiter)
    {
        if (!_byDevice.TryGetValue(waiter.DeviceId, out var waiters))
        {
            return;
        }

        lock (waiters)
        {
            if (waiters.Remove(waiter) && waiters.Count == 0)
            {
                _byDevice.TryRemove(new KeyValuePair<string, List<TaskWaiter>>(waiter.DeviceId, waiters));
            }
        }
    }
}
