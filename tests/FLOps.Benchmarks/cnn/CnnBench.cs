using System.Diagnostics;
using System.Globalization;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Partitioning;
using FLOps.Learning.Training;

namespace FLOps.Benchmarks.Cnn;

/// <summary>
/// Our side of <c>cnn/compare_pytorch.sh</c>: the reference CNN of issue 15 (the catalogue's <c>cnn</c>)
/// on the bundled MNIST split, trained by <see cref="LocalTrainer"/> as devices train it, printing
/// lines that start with "ours " and hold key=value pairs, as <c>pytorch_cnn.py</c> does.
/// </summary>
/// <remarks>
/// <c>cnn throughput [--samples 8000] [--batch 32] [--threads 2] [--repeats 3]</c>: timed epochs on the
/// first samples of the training split (after a warm-up), best and median samples per second.
/// <c>cnn federated [--devices 10] [--rounds 10] [--epochs 2] [--threads 2]</c>: FedAvg (mean weighted by
/// samples) over IID shards, SGD with learning rate 0.05, momentum 0.9, batch 32, test accuracy each round.
/// </remarks>
public static class CnnBench
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length == 0 || args[0] is not ("throughput" or "federated"))
        {
            output.WriteLine("usage: cnn throughput|federated [--samples N] [--batch N] [--threads N] [--repeats N] [--devices N] [--rounds N] [--epochs N] [--lr X] [--momentum X] [--seed N]");
            return 2;
        }

        var options = Options(args[1..]);
        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        float Float(string name, float fallback) => options.TryGetValue(name, out var v) ? float.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var threads = Int("threads", 2);
        var batch = Int("batch", 32);
        var lr = Float("lr", 0.05f);
        var momentum = Float("momentum", 0.9f);
        var seed = Int("seed", 42);
        var architecture = CnnKind.Architecture();
        var split = Mnist.Load();

        if (args[0] == "throughput")
        {
            var data = split.Train.Select([.. Enumerable.Range(0, Math.Min(Int("samples", 8000), split.Train.Count))]);
            var parameters = ModelInitializer.Create(architecture, seed);
            var training = new TrainingOptions(1, batch, lr, seed, Momentum: momentum, Threads: threads);
            LocalTrainer.Train(architecture, parameters, data.Select([.. Enumerable.Range(0, Math.Min(data.Count, 20 * batch))]), training); // warm-up
            var rates = new List<double>();
            var cpuRates = new List<double>();
            using var process = Process.GetCurrentProcess();
            for (var repeat = 0; repeat < Int("repeats", 3); repeat++)
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                LocalTrainer.Train(architecture, parameters, data, training with { Seed = seed + repeat });
                rates.Add(data.Count / clock.Elapsed.TotalSeconds);
                process.Refresh();
                cpuRates.Add(data.Count / (process.TotalProcessorTime - cpu).TotalSeconds);
            }

            rates.Sort();
            cpuRates.Sort();
            output.WriteLine(FormattableString.Invariant(
                $"ours threads={threads} parameters={architecture.ParameterCount} samples={data.Count} batch={batch} best={rates[^1]:F1} median={rates[rates.Count / 2]:F1} cpuBest={cpuRates[^1]:F1}"));
            return 0;
        }

        var devices = Int("devices", 10);
        var rounds = Int("rounds", 10);
        var epochs = Int("epochs", 2);
        var total = Stopwatch.StartNew();
        var shards = new IidPartitioner().Partition(split.Train.Labels, split.Train.ClassCount, devices, seed)
            .Select(indices => split.Train.Select(indices))
            .ToArray();
        var global = ModelInitializer.Create(architecture, seed);
        for (var round = 1; round <= rounds; round++)
        {
            var sum = new double[global.Length];
            var samples = 0;
            for (var device = 0; device < devices; device++)
            {
                var local = (float[])global.Clone();
                var report = LocalTrainer.Train(
                    architecture, local, shards[device], new TrainingOptions(epochs, batch, lr, seed + (round * 1000) + device, Momentum: momentum, Threads: threads));
                for (var i = 0; i < local.Length; i++)
                {
                    sum[i] += (double)local[i] * report.SampleCount;
                }

                samples += report.SampleCount;
            }

            for (var i = 0; i < global.Length; i++)
            {
                global[i] = (float)(sum[i] / samples);
            }

            var evaluation = ModelEvaluator.Evaluate(architecture, global, split.Test);
            output.WriteLine(FormattableString.Invariant(
                $"ours round={round} accuracy={evaluation.Accuracy:F4} loss={evaluation.LogLoss:F4} seconds={total.Elapsed.TotalSeconds:F1}"));
        }

        return 0;
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option such as --threads but got '{args[i]}'.");
            }

            options[args[i][2..]] = args[i + 1];
        }

        return options;
    }
}
