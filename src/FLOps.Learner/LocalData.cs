using System.Globalization;
using System.Text.RegularExpressions;
using FLOps.Learning.Data;
using FLOps.Learning.Partitioning;

namespace FLOps.Learner;

/// <summary>A device's local data: a CSV file (label first), or shard i/n of the bundled MNIST training split.</summary>
public static partial class LocalData
{
    public const int MnistShardSeed = 42;

    public const string MnistShardPartition = IidPartitioner.SchemeName;

    public static Dataset Load(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var shard = MnistShardSource().Match(source);
        if (shard.Success)
        {
            var (index, count) = ParseShard(shard.Groups["shard"].Value, $"--data {source}");
            return MnistShard(index, count);
        }

        if (source.StartsWith("mnist", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"--data {source}: write the bundled data as mnist:shard=i/n");
        }

        return File.Exists(source) ? CsvDataset.Load(source) : throw new FileNotFoundException($"--data {source}: no such file");
    }

    /// <summary>
    /// Shard <paramref name="index"/> (0-based) of <paramref name="count"/> of the bundled MNIST
    /// training split: the shard <c>mnist:shard=index/count</c> gives with the defaults, and the one
    /// simulated device <paramref name="index"/> of a project with <c>simulation: { devices: count,
    /// partition, seed }</c> holds.
    /// </summary>
    /// <exception cref="FormatException">The partition scheme is not <c>iid</c> or <c>dirichlet:ALPHA</c>.</exception>
    public static Dataset MnistShard(int index, int count, string partition = MnistShardPartition, int seed = MnistShardSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        var scheme = PartitionScheme.Parse(partition);
        var train = Mnist.Load().Train;
        return train.Select(scheme.Partition(train.Labels, train.ClassCount, count, seed)[index]);
    }

    /// <summary>Reads <c>i/n</c> (0 &lt;= i &lt; n); the message of the <see cref="FormatException"/> starts with <paramref name="what"/>.</summary>
    public static (int Index, int Count) ParseShard(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shard = Shard().Match(text);
        if (!shard.Success
            || !int.TryParse(shard.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(shard.Groups["count"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count < 1 || index >= count)
        {
            throw new FormatException($"{what}: the shard must be i/n with 0 <= i < n (got '{text}')");
        }

        return (index, count);
    }

    [GeneratedRegex(@"^mnist:shard=(?<shard>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex MnistShardSource();

    [GeneratedRegex(@"^(?<index>\d+)/(?<count>\d+)$")]
    private static partial Regex Shard();
}
