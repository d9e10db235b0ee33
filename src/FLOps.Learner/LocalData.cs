using System.Globalization;
using System.Text.RegularExpressions;
using FLOps.Learning.Data;
using FLOps.Learning.Partitioning;

namespace FLOps.Learner;

/// <summary>A device's local data: a CSV file (label first), or shard i/n of the bundled MNIST training split.</summary>
public static partial class LocalData
{
    public const int MnistShardSeed = 42;

    public static Dataset Load(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var shard = MnistShard().Match(source);
        if (shard.Success)
        {
            var index = int.Parse(shard.Groups["index"].Value, CultureInfo.InvariantCulture);
            var count = int.Parse(shard.Groups["count"].Value, CultureInfo.InvariantCulture);
            if (count < 1 || index < 0 || index >= count)
            {
                throw new FormatException($"--data {source}: the shard must be i/n with 0 <= i < n");
            }

            var train = Mnist.Load().Train;
            var parts = new IidPartitioner().Partition(train.Labels, train.ClassCount, count, MnistShardSeed);
            return train.Select(parts[index]);
        }

        if (source.StartsWith("mnist", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"--data {source}: write the bundled data as mnist:shard=i/n");
        }

        return File.Exists(source) ? CsvDataset.Load(source) : throw new FileNotFoundException($"--data {source}: no such file");
    }

    [GeneratedRegex(@"^mnist:shard=(?<index>\d+)/(?<count>\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex MnistShard();
}
