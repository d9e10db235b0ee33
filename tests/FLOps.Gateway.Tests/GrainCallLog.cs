using System.Collections.Concurrent;

namespace FLOps.Gateway.Tests;

/// <summary>Every grain call that reaches a grain of the fixture's silo, counted by the grain's key.</summary>
public sealed class GrainCallLog : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _byGrainKey = new(StringComparer.Ordinal);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _byGrainKey.AddOrUpdate(context.TargetId.Key.ToString()!, 1, static (_, n) => n + 1);
        return context.Invoke();
    }

    /// <summary>Calls so far to the grain keyed <paramref name="key"/> (a device's id, for a device grain).</summary>
    public long To(string key) => _byGrainKey.GetValueOrDefault(key);
}
