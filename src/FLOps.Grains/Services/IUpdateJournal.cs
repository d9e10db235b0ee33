using System.Collections.Concurrent;

namespace FLOps.Grains.Services;

/// <summary>One accepted device update. <see cref="Parameters"/> is shared: never write to it.</summary>
public sealed record JournaledUpdate(string DeviceId, float[] Parameters, long SampleCount, double TrainingLoss);

/// <summary>
/// Where a round records each update before acknowledging it, so that an acknowledged update
/// survives the death of the silo that accepted it and is never counted twice: recording is
/// idempotent per device and round.
/// </summary>
public interface IUpdateJournal
{
    /// <summary>Records the update; <c>false</c> if this device already has one for the round (nothing changes).</summary>
    Task<bool> TryRecordAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the update in place of the device's row for the round, which the round found
    /// invalid when it read the journal back (and so never counted).
    /// </summary>
    Task ReplaceAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default);

    /// <summary>The round's updates in ordinal device order.</summary>
    Task<IReadOnlyList<JournaledUpdate>> ReadAsync(string projectId, int round, CancellationToken cancellationToken = default);

    /// <summary>The round was aggregated: a journal may release what it only kept for recovery.</summary>
    Task RoundClosedAsync(string projectId, int round, CancellationToken cancellationToken = default);
}

/// <summary>
/// The embedded journal. Nothing outlives the process here, so a closed round's updates are
/// dropped at once and memory stays bounded by the rounds in flight.
/// </summary>
public sealed class InMemoryUpdateJournal : IUpdateJournal
{
    private readonly ConcurrentDictionary<(string ProjectId, int Round), ConcurrentDictionary<string, JournaledUpdate>> _rounds = new();

    public Task<bool> TryRecordAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var entries = _rounds.GetOrAdd((projectId, round), _ => new(StringComparer.Ordinal));
        return Task.FromResult(entries.TryAdd(update.DeviceId, update));
    }

    public Task ReplaceAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        _rounds.GetOrAdd((projectId, round), _ => new(StringComparer.Ordinal))[update.DeviceId] = update;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JournaledUpdate>> ReadAsync(string projectId, int round, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<JournaledUpdate>>(
            _rounds.TryGetValue((projectId, round), out var entries) ? [.. entries.Values.OrderBy(e => e.DeviceId, StringComparer.Ordinal)] : []);

    public Task RoundClosedAsync(string projectId, int round, CancellationToken cancellationToken = default)
    {
        _rounds.TryRemove((projectId, round), out _);
        return Task.CompletedTask;
    }
}
