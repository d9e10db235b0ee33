using System.Collections.Concurrent;
using FLOps.Abstractions.Devices;
using FLOps.Learning.Data;
using FLOps.Learning.Partitioning;

namespace FLOps.Grains.Services;

/// <summary>
/// The data simulated devices hold and the held-out data global models are evaluated on.
/// It lives in the silo that hosts the devices: shards are cut there and never travel.
/// </summary>
public interface ISimulatedDataCatalog
{
    /// <summary>Data sets that simulated devices can be given shards of.</summary>
    IReadOnlyCollection<string> Datasets { get; }

    Dataset GetShard(SimulatedShard shard);

    /// <summary>The held-out split for a data tag, or <c>null</c> when the service has none.</summary>
    Dataset? GetEvaluationSet(string dataTag);
}

public sealed class MnistDataCatalog : ISimulatedDataCatalog
{
    public const string MnistTag = "mnist";

    private readonly ConcurrentDictionary<(string Partition, int Seed, int Count), Lazy<IReadOnlyList<int[]>>> _partitions = new();

    public IReadOnlyCollection<string> Datasets { get; } = [MnistTag];

    public Dataset GetShard(SimulatedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        EnsureKnown(shard.Dataset);
        var train = Mnist.Load().Train;
        var partition = _partitions.GetOrAdd(
            (shard.Partition, shard.Seed, shard.Count),
            key => new Lazy<IReadOnlyList<int[]>>(() =>
                PartitionScheme.Parse(key.Partition).Partition(train.Labels, train.ClassCount, key.Count, key.Seed)));
        return train.Select(partition.Value[shard.Index]);
    }

    public Dataset? GetEvaluationSet(string dataTag) =>
        string.Equals(dataTag, MnistTag, StringComparison.OrdinalIgnoreCase) ? Mnist.Load().Test : null;

    private void EnsureKnown(string dataset)
    {
        if (!Datasets.Contains(dataset, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"No bundled data set '{dataset}'; known: {string.Join(", ", Datasets)}.", nameof(dataset));
        }
    }
}
