namespace FLOps.Grains;

/// <summary>
/// Group commit for a grain whose calls interleave: each caller changes the state and then awaits
/// <see cref="WriteAsync"/>, whose task ends with a write that started after the call. Callers
/// that arrive while a write is in flight share the one write that follows it, so writes never
/// overlap (a storage provider refuses a second write with the first one's ETag) and there are
/// never more than two whatever the number of callers. Used from one grain's turns only: no locks.
/// </summary>
public sealed class CoalescedWrites(Func<Task> write)
{
    private Task? _inFlight;
    private TaskCompletionSource? _queued;

    /// <summary>Completes when a write that started after this call has succeeded; throws what that write threw.</summary>
    public Task WriteAsync()
    {
        if (_queued is { } queued)
        {
            return queued.Task;
        }

        if (_inFlight is null || _inFlight.IsCompleted)
        {
            return _inFlight = write();
        }

        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queued = next;
        _ = WriteAfter(_inFlight, next);
        return next.Task;
    }

    private async Task WriteAfter(Task inFlight, TaskCompletionSource next)
    {
        // The write before answers its own callers, failed or not; this one writes anyway.
        await inFlight.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);

        // From here on a caller's change may miss this write's snapshot: it waits for the next one.
        _queued = null;
        var writing = write();
        _inFlight = writing;
        try
        {
            await writing;
            next.SetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            next.SetException(e);
        }
    }
}
