using FLOps.Grains.Services;
using Npgsql;
using NpgsqlTypes;

namespace FLOps.Storage;

/// <summary>
/// The update journal in <c>flops_update_journal</c>: the update's parameters go to
/// <c>flops_blobs</c> and the journal row to its table in one transaction, before the round
/// acknowledges the update. The primary key (project, round, device) makes a second upload a no-op,
/// unless the round replaces a row it found invalid when it read the journal back.
/// Rows are kept after the round closed: they are the audit of which updates made each round.
/// </summary>
public sealed class PostgresUpdateJournal(NpgsqlDataSource database) : IUpdateJournal
{
    private const string WriteOperation = "journal_write";
    private const string ReadOperation = "journal_read";

    private static readonly Polly.ResiliencePipeline Writes = StorageRetry.For(WriteOperation);
    private static readonly Polly.ResiliencePipeline Reads = StorageRetry.For(ReadOperation);

    public Task<bool> TryRecordAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default) =>
        RecordAsync(projectId, round, update, "DO NOTHING", cancellationToken);

    public Task ReplaceAsync(string projectId, int round, JournaledUpdate update, CancellationToken cancellationToken = default) =>
        RecordAsync(projectId, round, update, "DO UPDATE SET update_hash = EXCLUDED.update_hash, sample_count = EXCLUDED.sample_count, training_loss = EXCLUDED.training_loss", cancellationToken);

    /// <summary>
    /// True when the row now holds this update: inserted (or replaced) here, or by an earlier
    /// attempt whose commit went through but whose answer was lost, which a retry must not take
    /// for another device's update.
    /// </summary>
    private async Task<bool> RecordAsync(string projectId, int round, JournaledUpdate update, string onConflict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var hash = ModelHash.Of(update.Parameters);
        return await Writes.RunAsync(WriteOperation, token => RecordOnceAsync(projectId, round, update, hash, onConflict, token), cancellationToken);
    }

    private async ValueTask<bool> RecordOnceAsync(string projectId, int round, JournaledUpdate update, string hash, string onConflict, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var blob = new NpgsqlCommand("INSERT INTO flops_blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", connection, transaction))
        {
            blob.Parameters.Add(new NpgsqlParameter { Value = hash });
            blob.Parameters.Add(new NpgsqlParameter { Value = BlobBytes.Of(update.Parameters), NpgsqlDbType = NpgsqlDbType.Bytea });
            await blob.ExecuteNonQueryAsync(cancellationToken);
        }

        int inserted;
        await using (var entry = new NpgsqlCommand(
            $"""
            INSERT INTO flops_update_journal (project_id, round, device_id, update_hash, sample_count, training_loss)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (project_id, round, device_id) {onConflict}
            """,
            connection,
            transaction))
        {
            entry.Parameters.Add(new NpgsqlParameter { Value = projectId });
            entry.Parameters.Add(new NpgsqlParameter { Value = round });
            entry.Parameters.Add(new NpgsqlParameter { Value = update.DeviceId });
            entry.Parameters.Add(new NpgsqlParameter { Value = hash });
            entry.Parameters.Add(new NpgsqlParameter { Value = update.SampleCount });
            entry.Parameters.Add(new NpgsqlParameter { Value = update.TrainingLoss });
            inserted = await entry.ExecuteNonQueryAsync(cancellationToken);
        }

        // The round refuses a device's second update before it gets here, so a row that already
        // holds exactly this update was written by an attempt whose answer was lost.
        var recorded = inserted == 1 || await HoldsAsync(connection, transaction, projectId, round, update.DeviceId, hash, update.SampleCount, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    private static async Task<bool> HoldsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projectId, int round, string deviceId, string hash, long sampleCount, CancellationToken cancellationToken)
    {
        await using var existing = new NpgsqlCommand(
            "SELECT update_hash = $4 AND sample_count = $5 FROM flops_update_journal WHERE project_id = $1 AND round = $2 AND device_id = $3",
            connection,
            transaction);
        existing.Parameters.Add(new NpgsqlParameter { Value = projectId });
        existing.Parameters.Add(new NpgsqlParameter { Value = round });
        existing.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        existing.Parameters.Add(new NpgsqlParameter { Value = hash });
        existing.Parameters.Add(new NpgsqlParameter { Value = sampleCount });
        return await existing.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async Task<IReadOnlyList<JournaledUpdate>> ReadAsync(string projectId, int round, CancellationToken cancellationToken = default) =>
        await Reads.RunAsync(ReadOperation, token => ReadOnceAsync(projectId, round, token), cancellationToken);

    private async ValueTask<IReadOnlyList<JournaledUpdate>> ReadOnceAsync(string projectId, int round, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            SELECT j.device_id, b.bytes, j.sample_count, j.training_loss
            FROM flops_update_journal j JOIN flops_blobs b ON b.hash = j.update_hash
            WHERE j.project_id = $1 AND j.round = $2
            ORDER BY j.device_id COLLATE "C"
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectId });
        command.Parameters.Add(new NpgsqlParameter { Value = round });
        var updates = new List<JournaledUpdate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            updates.Add(new JournaledUpdate(reader.GetString(0), BlobBytes.ToFloats((byte[])reader[1]), reader.GetInt64(2), reader.GetDouble(3)));
        }

        return updates;
    }

    public Task RoundClosedAsync(string projectId, int round, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
