using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FLOps.Abstractions.Models;

namespace FLOps.Grains.Services;

/// <summary>
/// Model versions by content hash. Grains keep only <see cref="ModelRef"/>s; whoever needs the
/// parameters fetches the single stored copy. Returned arrays are shared: never write to them.
/// </summary>
public interface IModelStore
{
    ValueTask<ModelRef> PutAsync(float[] parameters, CancellationToken cancellationToken = default);

    /// <summary>The parameters of a stored version; throws <see cref="KeyNotFoundException"/> for an unknown one.</summary>
    ValueTask<float[]> GetAsync(ModelRef model, CancellationToken cancellationToken = default);
}

/// <summary>The embedded store: versions live as long as the silo process.</summary>
public sealed class InMemoryModelStore : IModelStore
{
    private readonly ConcurrentDictionary<string, float[]> _versions = new(StringComparer.Ordinal);

    public ValueTask<ModelRef> PutAsync(float[] parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var hash = ModelHash.Of(parameters);
        _versions.TryAdd(hash, parameters);
        return ValueTask.FromResult(new ModelRef(hash, parameters.Length));
    }

    public ValueTask<float[]> GetAsync(ModelRef model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _versions.TryGetValue(model.Hash, out var parameters)
            ? ValueTask.FromResult(parameters)
            : throw new KeyNotFoundException($"Model version {model} is not in the store.");
    }
}

/// <summary>How model versions and updates are named: SHA-256 of the little-endian float bytes, lower-case hex.</summary>
public static class ModelHash
{
    public static string Of(ReadOnlySpan<float> parameters) => Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(parameters)));
}
