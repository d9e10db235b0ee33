using FLOps.Abstractions.Devices;
using Microsoft.Extensions.Time.Testing;

namespace FLOps.Gateway.Tests;

/// <summary>The gateway's waiting for a device's next task, without a silo: what ends a wait and what does not.</summary>
public sealed class TaskWaitersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider _time = new();

    private static TrainingTask TaskOf(string project) => new() { RoundKey = $"{project}/r1", ProjectId = project };

    [Fact]
    public async Task A_task_delivered_for_the_device_ends_its_wait_with_that_task()
    {
        var waiters = new TaskWaiters(_time);
        using var waiter = waiters.Start("d-1");
        var next = waiter.NextAsync(Wait, CancellationToken.None);

        waiters.Deliver("d-1", TaskOf("p-1"));

        Assert.Equal("p-1", (await next)!.ProjectId);
    }

    [Fact]
    public async Task The_wait_elapses_with_no_task_when_none_arrives()
    {
        var waiters = new TaskWaiters(_time);
        using var waiter = waiters.Start("d-1");
        var next = waiter.NextAsync(Wait, CancellationToken.None);

        _time.Advance(Wait - TimeSpan.FromSeconds(1));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await next);
    }

    [Fact]
    public async Task Another_devices_task_does_not_end_the_wait()
    {
        var waiters = new TaskWaiters(_time);
        using var waiter = waiters.Start("d-1");
        var next = waiter.NextAsync(Wait, CancellationToken.None);

        waiters.Deliver("d-2", TaskOf("p-1"));
        _time.Advance(Wait);

        Assert.Null(await next);
    }

    [Fact]
    public async Task A_task_that_arrives_after_the_wait_started_but_before_it_is_awaited_is_kept()
    {
        var waiters = new TaskWaiters(_time);
        using var waiter = waiters.Start("d-1");

        waiters.Deliver("d-1", TaskOf("p-1"));

        Assert.Equal("p-1", (await waiter.NextAsync(Wait, CancellationToken.None))!.ProjectId);
    }

    [Fact]
    public async Task Every_wait_for_the_device_hears_of_the_task()
    {
        var waiters = new TaskWaiters(_time);
        using var first = waiters.Start("d-1");
        using var second = waiters.Start("d-1");

        waiters.Deliver("d-1", TaskOf("p-1"));

        Assert.NotNull(await first.NextAsync(Wait, CancellationToken.None));
        Assert.NotNull(await second.NextAsync(Wait, CancellationToken.None));
    }

    [Fact]
    public void A_finished_wait_is_forgotten_and_a_delivery_then_finds_no_one()
    {
        var waiters = new TaskWaiters(_time);
        var waiter = waiters.Start("d-1");
        Assert.Equal(1, waiters.Count);

        waiter.Dispose();
        waiters.Deliver("d-1", TaskOf("p-1"));

        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting()
    {
        var waiters = new TaskWaiters(_time);
        using var waiter = waiters.Start("d-1");
        using var aborted = new CancellationTokenSource();
        var next = waiter.NextAsync(Wait, aborted.Token);

        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }
}
