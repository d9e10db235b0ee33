using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace FLOps.Learner.Tests;

/// <summary>
/// A fake clock that jumps ahead by each pause the agent asks for as soon as it asks, and keeps the
/// list of pauses: tests see how the agent paces itself in virtual time, and run at full speed.
/// </summary>
public sealed class PauseSkippingTimeProvider : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _pauses = new();

    public IReadOnlyList<TimeSpan> Pauses => [.. _pauses];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            _pauses.Enqueue(dueTime);

            // Off the caller's thread: the timer fires once the caller holds it, as a real one would.
            ThreadPool.UnsafeQueueUserWorkItem(_ => Advance(dueTime), null);
        }

        return timer;
    }
}
