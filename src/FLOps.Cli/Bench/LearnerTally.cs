using System.Collections.Concurrent;

namespace FLOps.Cli.Bench;

/// <summary>What the bench's learners saw, summed over all of them (thread-safe).</summary>
public sealed class LearnerTally
{
    private readonly ConcurrentDictionary<string, long> _refusals = new(StringComparer.Ordinal);
    private long _tasks;
    private long _accepted;
    private long _emptyPolls;
    private long _errors;

    public long Tasks => Interlocked.Read(ref _tasks);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Refused => _refusals.Values.Sum();

    /// <summary>Long polls whose wait elapsed without a task (204).</summary>
    public long EmptyPolls => Interlocked.Read(ref _emptyPolls);

    /// <summary>Exchanges that failed: lost connections, 5xx, answers of the wrong shape.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Refused uploads by refusal kind (<c>late</c>, <c>stale</c>, …).</summary>
    public IReadOnlyDictionary<string, long> Refusals => new Dictionary<string, long>(_refusals, StringComparer.Ordinal);

    public string? LastError { get; private set; }

    public void TaskTaken() => Interlocked.Increment(ref _tasks);

    public void UpdateAccepted() => Interlocked.Increment(ref _accepted);

    public void UpdateRefused(string refusal) => _refusals.AddOrUpdate(refusal, 1, static (_, n) => n + 1);

    public void PollEmpty() => Interlocked.Increment(ref _emptyPolls);

    public void Failed(string error)
    {
        Interlocked.Increment(ref _errors);
        LastError = error;
    }
}
