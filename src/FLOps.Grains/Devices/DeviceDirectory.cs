using FLOps.Abstractions.Devices;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Devices;

/// <summary>
/// A tenant's directory of one data tag, over its grains: the pre-sharding grain
/// (<see cref="IDeviceDirectoryGrain.KeyFor"/>) and <see cref="IDeviceDirectoryGrain.Shards"/>
/// shards. Together they are one list, ordered segment by segment (the old grain first, then the
/// shards in order, each in ordinal order), which selection samples by position: counts go one
/// way and only the chosen ids come back, so a round over a million devices never moves them all.
/// </summary>
public static class DeviceDirectory
{
    /// <summary>The shard a device's id belongs to.</summary>
    public static int ShardOf(string deviceId) => (int)((uint)StableHash.Of(deviceId) % IDeviceDirectoryGrain.Shards);

    /// <summary>Segment <paramref name="segment"/> of the directory: 0 the pre-sharding grain, then the shards.</summary>
    public static string SegmentKey(string directoryKey, int segment) =>
        segment == 0 ? directoryKey : IDeviceDirectoryGrain.ShardKeyFor(directoryKey, segment - 1);

    public static int Segments => IDeviceDirectoryGrain.Shards + 1;

    /// <summary>Adds devices to the directories of their tags, one batched call per shard touched.</summary>
    public static Task AddAsync(IGrainFactory grains, string tenant, IEnumerable<(string DeviceId, IReadOnlyList<string> DataTags)> devices)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(devices);
        var batches = devices
            .SelectMany(d => d.DataTags.Distinct(StringComparer.Ordinal).Select(tag => (Key: SegmentKey(IDeviceDirectoryGrain.KeyFor(tenant, tag), ShardOf(d.DeviceId) + 1), d.DeviceId)))
            .GroupBy(e => e.Key, e => e.DeviceId, StringComparer.Ordinal);
        return Task.WhenAll(batches.Select(b => grains.GetGrain<IDeviceDirectoryGrain>(b.Key).AddMany([.. b])));
    }

    /// <summary>How many devices each segment holds.</summary>
    public static async Task<int[]> CountsAsync(IGrainFactory grains, string directoryKey)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return await Task.WhenAll(Enumerable.Range(0, Segments).Select(s => grains.GetGrain<IDeviceDirectoryGrain>(SegmentKey(directoryKey, s)).Count()));
    }

    /// <summary>Every device of the directory, segment by segment (for hierarchical projects, which group them by cluster).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(IGrainFactory grains, string directoryKey)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var segments = await Task.WhenAll(Enumerable.Range(0, Segments).Select(s => grains.GetGrain<IDeviceDirectoryGrain>(SegmentKey(directoryKey, s)).List()));
        return [.. segments.SelectMany(s => s)];
    }

    /// <summary>
    /// The participants of a round: <see cref="ParticipantSampler.SelectIndexes"/> over the whole
    /// directory's positions, each segment asked only for its share. Sorted ordinally.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SampleAsync(IGrainFactory grains, string directoryKey, ParticipantSelection selection)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var counts = await CountsAsync(grains, directoryKey);
        var positions = ParticipantSampler.SelectIndexes(counts.Sum(), selection);
        var located = Locate(counts, positions);
        var chosen = await Task.WhenAll(located
            .Select((local, segment) => local.Count == 0 ? Task.FromResult<IReadOnlyList<string>>([]) : grains.GetGrain<IDeviceDirectoryGrain>(SegmentKey(directoryKey, segment)).At(local)));
        var ids = chosen.SelectMany(c => c).ToArray();
        Array.Sort(ids, StringComparer.Ordinal);
        return ids;
    }

    /// <summary>
    /// Splits ascending positions of the whole directory into positions within each segment,
    /// given how many devices each segment holds.
    /// </summary>
    public static IReadOnlyList<int>[] Locate(IReadOnlyList<int> counts, IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(positions);
        var located = new List<int>[counts.Count];
        var segment = 0;
        var start = 0;
        for (var s = 0; s < located.Length; s++)
        {
            located[s] = [];
        }

        foreach (var position in positions)
        {
            while (segment < counts.Count && position >= start + counts[segment])
            {
                start += counts[segment];
                segment++;
            }

            if (segment == counts.Count)
            {
                break;
            }

            located[segment].Add(position - start);
        }

        return located;
    }
}
