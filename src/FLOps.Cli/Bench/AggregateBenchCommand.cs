using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FLOps.Grains.Rounds;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Benchmarks;

namespace FLOps.Cli.Bench;

/// <summary><c>flops bench aggregate</c>: this machine's triad GB/s against FedAvg's, in one run.</summary>
public static class AggregateBenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var updates = new Option<int>("--updates") { Description = "Updates per round (N)", DefaultValueFactory = _ => 100 };
        var parameters = new Option<int>("--parameters") { Description = "Parameters per update (D)", DefaultValueFactory = _ => 1_000_000 };
        var repetitions = new Option<int>("--repetitions") { Description = "Timed runs of each kernel after a warm-up; the best counts", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seeds the update values and sample counts", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };

        var command = new Command("aggregate", "Memory triad GB/s and FedAvg GB/s over the same bytes, measured in this run")
        {
            updates, parameters, repetitions, seed, json,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new AggregationThroughputOptions(parse.GetValue(updates), parse.GetValue(parameters), parse.GetValue(repetitions), parse.GetValue(seed));
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--{e.Message}");
            }

            return await RunAsync(options, parse.GetValue(json), Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(AggregationThroughputOptions options, bool json, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        AggregationThroughputResult result;
        try
        {
            result = await Task.Run(() => AggregationThroughput.Measure(options, line => stdout.WriteLine(line), RoundPath), cancellationToken);
        }
        catch (Exception e) when (e is OutOfMemoryException or InvalidOperationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"flops: bench aggregate failed: {e.Message}");
            return ExitCodes.Failure;
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"FedAvg of {result.Updates} updates × {result.Parameters:N0} parameters ({result.Updates * (long)result.Parameters * 4 / 1e6:N0} MB read), best of {result.Repetitions}, {result.Cores} cores"));
        await stdout.WriteLineAsync("kernel                                 GB/s read  × triad");
        await Row(stdout, "triad a=b+s·c (1 thread)", result.TriadGBs, 1.0);
        await Row(stdout, "FedAvg streaming (WeightedMeanRound)", result.StreamingFedavgGBs, result.StreamingRatio);
        await Row(stdout, "FedAvg tiled batch (1 thread)", result.FedavgGBs, result.Ratio);
        await Row(stdout, $"FedAvg tiled batch ({result.Cores} threads)", result.ParallelFedavgGBs, result.ParallelRatio);
        await Row(stdout, "round path (RoundAggregation, 1 by 1)", result.RoundPathGBs, result.RoundPathRatio);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"(STREAM's convention, counting the triad's writes too: {result.TriadStreamGBs:F2} GB/s)"));
        if (json)
        {
            var document = new
            {
                triadGBs = Math.Round(result.TriadGBs, 3),
                triadStreamGBs = Math.Round(result.TriadStreamGBs, 3),
                fedavgGBs = Math.Round(result.FedavgGBs, 3),
                ratio = Math.Round(result.Ratio, 3),
                updates = result.Updates,
                parameters = result.Parameters,
                parallelFedavgGBs = Math.Round(result.ParallelFedavgGBs, 3),
                parallelRatio = Math.Round(result.ParallelRatio, 3),
                streamingFedavgGBs = Math.Round(result.StreamingFedavgGBs, 3),
                streamingRatio = Math.Round(result.StreamingRatio, 3),
                roundPathGBs = Math.Round(result.RoundPathGBs, 3),
                roundPathRatio = Math.Round(result.RoundPathRatio, 3),
                repetitions = result.Repetitions,
                cores = result.Cores,
            };
            await stdout.WriteLineAsync(JsonSerializer.Serialize(document, JsonOptions));
        }

        return ExitCodes.Success;
    }

    /// <summary>What a round grain runs as FedAvg updates arrive: <see cref="RoundAggregation"/>, one update at a time.</summary>
    private static float[] RoundPath(IReadOnlyList<float[]> updates, IReadOnlyList<long> sampleCounts)
    {
        var aggregation = new RoundAggregation(new FedAvgStrategy(), new float[updates[0].Length], round: 1);
        for (var k = 0; k < updates.Count; k++)
        {
            aggregation.Add(updates[k], sampleCounts[k]);
        }

        return aggregation.Complete().Parameters;
    }

    private static Task Row(TextWriter stdout, string kernel, double gbs, double ratio) =>
        stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{kernel,-38} {gbs,7:F2}   {ratio,6:F2}"));
}
