using FLOps.Abstractions.Devices;

namespace FLOps.Gateway;

/// <summary>One long poll's wait for a device's next task (see <see cref="TaskWaiters.Start"/>).</summary>
public sealed class TaskWaiter : IDisposable
{
    private readonly TaskWaiters _owner;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<TrainingTask> _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskWaiter(TaskWaiters owner, string deviceId, TimeProvider time)
    {
        _owner = owner;
        DeviceId = deviceId;
        _time = time;
    }

    public string DeviceId { get; }

    /// <summary>The task delivered for the device, or <c>null</c> when <paramref name="wait"/> elapses first.</summary>
    public async Task<TrainingTask?> NextAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            return await _arrived.Task.WaitAsync(wait, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public void Dispose() => _owner.Remove(this);

    internal void Arrive(TrainingTask task) => _arrived.TrySetResult(task);
}
