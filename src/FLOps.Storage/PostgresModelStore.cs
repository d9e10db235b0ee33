using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FLOps.Abstractions.Models;
using FLOps.Grains.Services;
using Npgsql;
using NpgsqlTypes;

namespace FLOps.Storage;

/// <summary>
/// Model versions as content-addressed blobs in <c>flops_blobs</c>, written once. Grain state
/// only references them, so a state write stays small however big the model is. Recently used
/// versions stay in memory: every device of a round reads the same global model.
/// </summary>
public sealed class PostgresModelStore(NpgsqlDataSource database) : IModelStore
{
    private const int CachedVersions = 16;
    private const string WriteOperation = "blob_write";
    private const string ReadOperation = "blob_read";

    private static readonly Polly.ResiliencePipeline Writes = StorageRetry.For(WriteOperation);
    private static readonly Polly.ResiliencePipeline Reads = StorageRetry.For(ReadOperation);

    private readonly ConcurrentDictionary<string, float[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _cacheOrder = new();

    public async ValueTask<ModelRef> PutAsync(float[] parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var hash = ModelHash.Of(parameters);
        if (!_cache.ContainsKey(hash))
        {
            // Content-addressed and ON CONFLICT DO NOTHING: a retry after a lost acknowledgement is harmless.
            await Writes.RunAsync(WriteOperation, async token =>
            {
                await using var command = database.CreateCommand("INSERT INTO flops_blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING");
                command.Parameters.Add(new NpgsqlParameter { Value = hash });
                command.Parameters.Add(new NpgsqlParameter { Value = BlobBytes.Of(parameters), NpgsqlDbType = NpgsqlDbType.Bytea });
                return await command.ExecuteNonQueryAsync(token);
            }, cancellationToken);
            Remember(hash, parameters);
        }

        return new ModelRef(hash, parameters.Length);
    }

    public async ValueTask<float[]> GetAsync(ModelRef model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_cache.TryGetValue(model.Hash, out var cached))
        {
            return cached;
        }

        var bytes = await Reads.RunAsync(ReadOperation, async token =>
        {
            await using var command = database.CreateCommand("SELECT bytes FROM flops_blobs WHERE hash = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = model.Hash });
            return await command.ExecuteScalarAsync(token) as byte[];
        }, cancellationToken) ?? throw new KeyNotFoundException($"Model version {model} is not in flops_blobs.");
        var parameters = BlobBytes.ToFloats(bytes);
        Remember(model.Hash, parameters);
        return parameters;
    }

    private void Remember(string hash, float[] parameters)
    {
        if (_cache.TryAdd(hash, parameters))
        {
            _cacheOrder.Enqueue(hash);
            while (_cacheOrder.Count > CachedVersions && _cacheOrder.TryDequeue(out var oldest))
            {
                _cache.TryRemove(oldest, out _);
            }
        }
    }
}

internal static class BlobBytes
{
    public static byte[] Of(ReadOnlySpan<float> parameters) => MemoryMarshal.AsBytes(parameters).ToArray();

    public static float[] ToFloats(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new InvalidDataException($"A stored blob of {bytes.Length} bytes is not a whole number of floats.");
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
