using System.CommandLine;
using FLOps.Learner;
using FLOps.Learning.Data;
using FLOps.Learning.Partitioning;

namespace FLOps.Cli.Data;

/// <summary><c>flops data export mnist --shard K/N --out FILE</c>: a learner's share of the bundled data, as a file.</summary>
public static class DataCommand
{
    public static Command Create() => new("data", "The bundled data, for learners") { Export() };

    private static Command Export()
    {
        var dataset = new Argument<string>("DATASET") { Description = "The bundled data set: mnist (its 8,000 training digits)" };
        var shard = new Option<string>("--shard")
        {
            HelpName = "K/N",
            Description = "K/N: shard K (0-based, 0 <= K < N) of N, the shard `flops learner --data mnist:shard=K/N` trains on",
            Required = true,
        };
        var output = new Option<string>("--out") { HelpName = "FILE", Description = "The file to write: FILE.csv (label, then 784 pixels scaled to 0..1, as flops learner --data FILE.csv reads) or FILE.npz (NumPy: x float32 [n, 784], y int64 [n])", Required = true };
        var partition = new Option<string>("--partition") { HelpName = "iid|dirichlet:ALPHA", Description = "iid or dirichlet:ALPHA, as a spec's simulation.partition", DefaultValueFactory = _ => LocalData.MnistShardPartition };
        var seed = new Option<int>("--seed") { Description = "Seed of the partition, as a spec's simulation.seed", DefaultValueFactory = _ => LocalData.MnistShardSeed };
        var command = new Command("export", "Write one device's shard of a bundled data set to a CSV or .npz file (the same shard as a simulated device's with this partition and seed)")
        {
            dataset, shard, output, partition, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!string.Equals(parse.GetValue(dataset), "mnist", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"DATASET: '{parse.GetValue(dataset)}' is not a bundled data set (there is one: mnist)");
            }

            var (index, count) = Parse(() => LocalData.ParseShard(parse.GetValue(shard)!, "--shard"));
            var scheme = Parse(() => PartitionScheme.Format(PartitionScheme.Parse(parse.GetValue(partition)!)), "--partition");
            var path = parse.GetValue(output)!;
            var write = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".csv" => (Action<Dataset, Stream>)WriteCsv,
                ".npz" => NumpyArchive.Write,
                _ => throw new UsageException($"--out: '{path}' must end in .csv or .npz"),
            };

            var data = LocalData.MnistShard(index, count, scheme, parse.GetValue(seed));
            await WriteWholeAsync(path, data, write, cancellationToken);
            await Console.Out.WriteLineAsync($"flops data: wrote shard {index}/{count} of mnist ({scheme}, seed {parse.GetValue(seed)}): {data.Count} samples of {data.FeatureCount} features to {path}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteCsv(Dataset data, Stream destination)
    {
        using var writer = new StreamWriter(destination, leaveOpen: true);
        CsvDataset.Write(data, writer);
    }

    /// <summary>Writes the shard whole or not at all (<see cref="WholeFile"/>), in a folder made if needed.</summary>
    private static async Task WriteWholeAsync(string path, Dataset data, Action<Dataset, Stream> write, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out: cannot make the folder of '{path}': {e.Message}");
        }

        try
        {
            await WholeFile.WriteAsync(
                path,
                (file, _) =>
                {
                    write(data, file);
                    return Task.CompletedTask;
                },
                cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnvironmentException($"--out: cannot write '{path}': {e.Message}");
        }
    }

    private static T Parse<T>(Func<T> parse, string? option = null)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new UsageException(option is null ? e.Message : $"{option}: {e.Message}");
        }
    }
}
