using System.Collections.Concurrent;
using FLOps.Learning.Data;

namespace FLOps.Learner.Tests;

/// <summary>A <see cref="LearnerAgent"/> running against a fake gateway on a fake clock, with its log kept.</summary>
public sealed class AgentRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ReadCountingHandler _counter = new(LearnerHttpClient.CreateHandler());
    private readonly HttpClient _http;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly Task _running;

    private AgentRun(FakeGateway gateway, Dataset data, Func<LearnerOptions, LearnerOptions>? configure)
    {
        var options = new LearnerOptions
        {
            Gateway = gateway.Address,
            ApiKey = "test-key",
            Name = "test-device",
            DataTags = ["tiny"],
            MinBackoff = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(8),
        };
        _http = LearnerHttpClient.Create(_counter);
        Agent = new LearnerAgent(_http, configure?.Invoke(options) ?? options, data, _log.Enqueue, Clock);
        _running = Task.Run(() => Agent.RunAsync(_stop.Token));
    }

    public LearnerAgent Agent { get; }

    /// <summary><see cref="LearnerAgent.RunAsync"/>, which ends only when the agent stops by itself or is stopped.</summary>
    public Task Completion => _running;

    public PauseSkippingTimeProvider Clock { get; } = new();

    /// <summary>Bytes of model bodies the agent read, counted at its HTTP client.</summary>
    public long ModelBytesRead => _counter.ModelBytesRead;

    public IReadOnlyList<string> Log => [.. _log];

    public static AgentRun Start(FakeGateway gateway, Dataset? data = null, Func<LearnerOptions, LearnerOptions>? configure = null) =>
        new(gateway, data ?? TinyData.Create(), configure);

    public void AssertStillRunning() =>
        Assert.False(_running.IsCompleted, $"the agent stopped ({_running.Status}, {_running.Exception?.InnerException?.Message}); its log: {string.Join(" | ", Log)}");

    /// <summary>Cancels the agent and waits (bounded) for <see cref="LearnerAgent.RunAsync"/> to return; rethrows what it threw.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_running.IsCompleted)
        {
            await _stop.CancelAsync();
            await _running.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
