namespace FLOps.Grains.Tests;

/// <summary>Group commit for interleaving grain calls, driven by hand-held writes: no silo.</summary>
public sealed class CoalescedWritesTests
{
    /// <summary>Writes that end when the test says so, in the order they started.</summary>
    private readonly List<TaskCompletionSource> _writes = [];

    private CoalescedWrites NewWrites() => new(() =>
    {
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writes.Add(write);
        return write.Task;
    });

    [Fact]
    public async Task A_call_with_no_write_in_flight_writes_at_once()
    {
        var writes = NewWrites();

        var call = writes.WriteAsync();
        _writes[0].SetResult();
        await call;

        Assert.Single(_writes);
    }

    [Fact]
    public async Task Calls_during_a_write_share_one_write_that_starts_after_it()
    {
        var writes = NewWrites();
        var first = writes.WriteAsync();

        var later = new[] { writes.WriteAsync(), writes.WriteAsync(), writes.WriteAsync() };
        Assert.Single(_writes);
        _writes[0].SetResult();
        await first;
        await WaitFor(() => _writes.Count == 2);

        Assert.All(later, call => Assert.False(call.IsCompleted));
        _writes[1].SetResult();
        await Task.WhenAll(later);
        Assert.Equal(2, _writes.Count);
    }

    [Fact]
    public async Task A_call_after_the_shared_write_started_waits_for_a_write_of_its_own()
    {
        var writes = NewWrites();
        var first = writes.WriteAsync();
        var second = writes.WriteAsync();
        _writes[0].SetResult();
        await WaitFor(() => _writes.Count == 2);

        var third = writes.WriteAsync();
        _writes[1].SetResult();
        await second;
        await WaitFor(() => _writes.Count == 3);

        Assert.False(third.IsCompleted);
        _writes[2].SetResult();
        await Task.WhenAll(first, third);
    }

    [Fact]
    public async Task A_failed_write_fails_its_own_callers_and_the_next_write_still_runs()
    {
        var writes = NewWrites();
        var first = writes.WriteAsync();
        var second = writes.WriteAsync();

        _writes[0].SetException(new InvalidOperationException("storage away"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await WaitFor(() => _writes.Count == 2);
        _writes[1].SetResult();

        await second;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, limit.Token);
        }
    }
}
