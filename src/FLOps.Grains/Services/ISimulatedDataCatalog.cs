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

/// <summary>
/// The bundled data: <c>mnist</c> (8,000 training digits cut into shards by the partition scheme,
/// 2,000 held out) and <c>synthetic</c> (<see cref="SyntheticClusters"/>: a few generated samples
/// per device, for any number of devices).
/// </summary>
public sealed class MnistDataCatalog : ISimulatedDataCatalog
{
    public const string MnistTag = "mnist";
    public const string SyntheticTag = SyntheticClusters.Tag;

    private readonly ConcurrentDictionary<(string Partition, int Seed, int Count), Lazy<IReadOnlyList<int[]>>> _partitions = new();

    public IReadOnlyCollection<string> Datasets { get; } = [MnistTag, SyntheticTag];

    /// <summary>Whether simulated devices can hold shards of <paramref name="dataTag"/>.</summary>
    public static bool IsBundled(string? dataTag) =>
        string.Equals(dataTag, MnistTag, StringComparison.OrdinalIgnoreCase) || string.Equals(dataTag, SyntheticTag, StringComparison.OrdinalIgnoreCase);

    /// <summary>Features and classes of a bundled data set (MNIST's for any other tag).</summary>
    public static (int Features, int Classes) ShapeOf(string? dataTag) =>
        string.Equals(dataTag, SyntheticTag, StringComparison.OrdinalIgnoreCase)
            ? (SyntheticClusters.FeatureCount, SyntheticClusters.ClassCount)
            : (Mnist.FeatureCount, Mnist.ClassCount);

    public Dataset GetShard(SimulatedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        EnsureKnown(shard.Dataset);
        if (string.Equals(shard.Dataset, SyntheticTag, StringComparison.OrdinalIgnoreCase))
        {
            return SyntheticClusters.Shard(shard.Partition, shard.Seed, shard.Index);
        }

        var train = Mnist.Load().Train;
        var partition = _partitions.GetOrAdd(
            (shard.Partition, shard.Seed, shard.Count),
            key => new Lazy<IReadOnlyList<int[]>>(() =>
                PartitionScheme.Parse(key.Partition).Partition(train.Labels, train.ClassCount, key.Count, key.Seed)));
        return train.Select(partition.Value[shard.Index]);
    }

    public Dataset? GetEvaluationSet(string dataTag) =>
        string.Equals(dataTag, MnistTag, StringComparison.OrdinalIgnoreCase) ? Mnist.Load().Test
        : string.Equals(dataTag, SyntheticTag, StringComparison.OrdinalIgnoreCase) ? SyntheticClusters.EvaluationSet
        : null;

    private void EnsureKnown(string dataset)
    {
        if (!Datasets.Contains(dataset, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"No bundled data set '{dataset}'; known: {string.Join(", ", Datasets)}.", nameof(dataset));
        }
    }
}
