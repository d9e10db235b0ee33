using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Client;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Hosting;
using FLOps.Learning.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FLOps.Cli.Bench;

/// <summary>
/// <c>flops bench scale</c>: N simulated devices in one embedded silo, a tiny model on the
/// bundled synthetic data, one local step each, R rounds; per round the wall time, the part that
/// is orchestration, the grain calls; and the managed memory per idle device grain.
/// </summary>
public static class ScaleBenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Grain calls that set the project up rather than run its rounds.</summary>
    private static readonly string[] SetupMethods = ["Configure", "Submit", "Subscribe", "GetSnapshot", "Unsubscribe"];

    public static Command Create()
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices (N)", DefaultValueFactory = _ => 10_000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (R)", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seeds the synthetic data and the model", DefaultValueFactory = _ => 42 };
        var timeout = new Option<int>("--round-timeout") { Description = "Seconds a round may take before it fails", DefaultValueFactory = _ => 600 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };
        var verbose = new Option<bool>("--verbose") { Description = "Log the grains' progress (rounds opened and closed)" };
        var command = new Command("scale", "Round time, orchestration time, grain calls and memory per device with N simulated devices in one silo")
        {
            devices, rounds, seed, timeout, json, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(devices);
            var r = parse.GetValue(rounds);
            if (n is < 2 or > ProjectSpecValidator.MaxSimulatedDevices)
            {
                throw new UsageException($"--devices: must be between 2 and {ProjectSpecValidator.MaxSimulatedDevices} (got {n})");
            }

            if (r is < 1 or > 1000)
            {
                throw new UsageException($"--rounds: must be between 1 and 1000 (got {r})");
            }

            var t = parse.GetValue(timeout);
            if (t is < 1 or > 86_400)
            {
                throw new UsageException($"--round-timeout: must be between 1 and 86400 (got {t})");
            }

            return await RunAsync(n, r, parse.GetValue(seed), t, parse.GetValue(json), Console.Out, cancellationToken, parse.GetValue(verbose));
        });
        return command;
    }

    /// <summary>The project the bench runs: softmax over 16 features and 4 classes (68 parameters), one step per device per round.</summary>
    public static ProjectSpec SpecFor(int devices, int rounds, int seed, int roundTimeoutSeconds) => new()
    {
        Name = "bench-scale",
        DataTag = MnistDataCatalog.SyntheticTag,
        Model = new ModelSpec { Kind = "softmax" },
        Training = new TrainingSpec
        {
            Rounds = rounds,
            LocalEpochs = 1,
            BatchSize = SyntheticClusters.SamplesPerDevice,
            LearningRate = 0.5,
            MinFitClients = devices,
            MinAvailableClients = devices,
            FractionFit = 1.0,
            RoundTimeoutSeconds = roundTimeoutSeconds,
        },
        Strategy = new StrategySpec { Name = "fedavg" },
        Simulation = new SimulationSpec { Devices = devices, Partition = "iid", Seed = seed },
    };

    public static async Task<int> RunAsync(int devices, int rounds, int seed, int roundTimeoutSeconds, bool json, TextWriter stdout, CancellationToken cancellationToken, bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var spec = SpecFor(devices, rounds, seed, roundTimeoutSeconds);
        ProjectSpecValidator.ThrowIfInvalid(spec);
        var calls = new GrainCallCounter();
        var training = new MeasuredTrainingService();
        using var host = EmbeddedSilo.Build(new EmbeddedSiloOptions { MinimumLogLevel = verbose ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning }, services =>
        {
            services.AddSingleton<IIncomingGrainCallFilter>(calls);
            services.AddSingleton<ILocalTrainingService>(training);
        });
        await host.StartAsync(cancellationToken);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var projectId = $"scale-{Guid.NewGuid():N}"[..18];
            var cores = Environment.ProcessorCount;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"FLOps bench scale: {devices:N0} devices, {rounds} rounds, softmax 16×4 on '{spec.DataTag}' ({SyntheticClusters.SamplesPerDevice} samples, one step per device), {cores} cores"));

            // Memory of idle devices: the same grains the project will use, activated and configured
            // (profile in grain state, shard cut) before the project exists.
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var activation = Stopwatch.StartNew();
            await ActivateDevices(grains, projectId, spec, devices);
            activation.Stop();
            var after = GC.GetTotalMemory(forceFullCollection: true);
            var bytesPerDevice = (double)(after - before) / devices;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{devices:N0} devices activated and configured in {activation.Elapsed.TotalSeconds:F2} s; managed memory {(after - before) / 1e6:F1} MB, {bytesPerDevice:N0} bytes per idle device"));

            var project = grains.GetGrain<IProjectGrain>(projectId);
            var progress = new ChannelObserver();
            var observer = grains.CreateObjectReference<IProjectObserver>(progress);
            await project.Subscribe(observer);

            var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration());
            var wall = Stopwatch.StartNew();
            var marks = new List<(double Cpu, IReadOnlyDictionary<string, long> Calls, double ProcessCpu)> { (training.TrainingCpuSeconds, calls.Snapshot(), ProcessCpuSeconds()) };
            await project.Submit(spec, FlopsClient.DefaultTenant);
            var final = await Follow(project, progress, rounds, roundTimeoutSeconds, () => marks.Add((training.TrainingCpuSeconds, calls.Snapshot(), ProcessCpuSeconds())), cancellationToken);
            wall.Stop();
            await project.Unsubscribe(observer);
            if (final.State != ProjectState.Completed || final.Rounds.Count != rounds)
            {
                await Console.Error.WriteLineAsync($"flops: bench scale: project {final.State} after {final.Rounds.Count} of {rounds} rounds: {final.Reason}");
                return ExitCodes.Failure;
            }

            await stdout.WriteLineAsync("round  participants  round s  training CPU s  compute s (/cores)  orchestration s  grain calls  process CPU s");
            var results = new List<RoundResult>();
            for (var i = 0; i < rounds; i++)
            {
                var summary = final.Rounds[i];
                var cpu = marks[i + 1].Cpu - marks[i].Cpu;
                var compute = cpu / cores;
                var messages = CountRoundCalls(marks[i].Calls, marks[i + 1].Calls);
                var result = new RoundResult(summary.Round, summary.Participants, summary.Seconds, cpu, compute, Math.Max(0, summary.Seconds - compute), messages, marks[i + 1].ProcessCpu - marks[i].ProcessCpu);
                results.Add(result);
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Round,5}  {result.Participants,12:N0}  {result.Seconds,7:F3}  {result.TrainingCpuSeconds,14:F3}  {result.ComputeSeconds,18:F3}  {result.OrchestrationSeconds,15:F3}  {result.Messages,11:N0}  {result.ProcessCpuSeconds,13:F2}"));
            }

            var byMethod = Diff(marks[0].Calls, marks[^1].Calls);
            await stdout.WriteLineAsync("grain calls over all rounds: " + string.Join(", ", byMethod.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N0}")));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"GC during the rounds: {GC.CollectionCount(0) - gcBefore.Gen0} gen0, {GC.CollectionCount(1) - gcBefore.Gen1} gen1, {GC.CollectionCount(2) - gcBefore.Gen2} gen2, paused {(GC.GetTotalPauseDuration() - gcBefore.Pause).TotalSeconds:F2} s"));
            await stdout.WriteLineAsync("seconds inside grain calls, summed by method: " + string.Join(", ", calls.BusySeconds().Where(p => p.Value >= 0.01).OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F2}"))));
            var roundSeconds = Median(results.Select(r => r.Seconds));
            var orchestrationSeconds = Median(results.Select(r => r.OrchestrationSeconds));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"median round {roundSeconds:F3} s, orchestration {orchestrationSeconds:F3} s; {bytesPerDevice:N0} bytes per idle device; final accuracy {final.Rounds[^1].Accuracy:F3}; {wall.Elapsed.TotalSeconds:F1} s for all rounds"));
            if (json)
            {
                var document = new
                {
                    devices,
                    rounds,
                    orchestrationSeconds = Math.Round(orchestrationSeconds, 4),
                    roundSeconds = Math.Round(roundSeconds, 4),
                    bytesPerDevice = Math.Round(bytesPerDevice),
                    messagesPerRound = Median(results.Select(r => (double)r.Messages)),
                    trainingCpuSeconds = Math.Round(Median(results.Select(r => r.TrainingCpuSeconds)), 4),
                    cores,
                    cpuTimeMeasured = ThreadCpuTime.IsCpuTime,
                    activationSeconds = Math.Round(activation.Elapsed.TotalSeconds, 3),
                    state = final.State.ToString(),
                    accuracy = final.Rounds[^1].Accuracy,
                    perRound = results.Select(r => new
                    {
                        round = r.Round,
                        participants = r.Participants,
                        seconds = Math.Round(r.Seconds, 4),
                        orchestrationSeconds = Math.Round(r.OrchestrationSeconds, 4),
                        trainingCpuSeconds = Math.Round(r.TrainingCpuSeconds, 4),
                        messages = r.Messages,
                        processCpuSeconds = Math.Round(r.ProcessCpuSeconds, 3),
                    }),
                };
                await stdout.WriteLineAsync(JsonSerializer.Serialize(document, JsonOptions));
            }

            return ExitCodes.Success;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task ActivateDevices(IGrainFactory grains, string projectId, ProjectSpec spec, int devices)
    {
        var simulation = spec.Simulation!;
        const int Batch = 1_000;
        for (var start = 0; start < devices; start += Batch)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(Batch, devices - start)).Select(index =>
                grains.GetGrain<IDeviceGrain>(ProjectGrain.SimulatedDeviceId(projectId, index)).Configure(new DeviceProfile
                {
                    Name = $"simulated device {index}",
                    DataTags = [spec.DataTag],
                    Shard = new SimulatedShard(spec.DataTag, simulation.Partition, simulation.Seed, index, simulation.Devices),
                })));
        }
    }

    /// <summary>Waits until the project ends, calling <paramref name="roundEnded"/> as soon as each round is recorded.</summary>
    private static async Task<ProjectSnapshot> Follow(IProjectGrain project, ChannelObserver progress, int rounds, int roundTimeoutSeconds, Action roundEnded, CancellationToken cancellationToken)
    {
        var recorded = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(((double)roundTimeoutSeconds * rounds) + 60));
        while (true)
        {
            ProjectSnapshot snapshot;
            try
            {
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                poll.CancelAfter(TimeSpan.FromSeconds(5));
                snapshot = await progress.Updates.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
            {
                // Observer notifications are best effort: ask the project itself now and then.
                snapshot = await project.GetSnapshot();
            }

            while (recorded < snapshot.Rounds.Count)
            {
                recorded++;
                roundEnded();
            }

            if (snapshot.State.IsTerminal())
            {
                return snapshot;
            }
        }
    }

    private static long CountRoundCalls(IReadOnlyDictionary<string, long> from, IReadOnlyDictionary<string, long> to) =>
        Diff(from, to).Sum(p => p.Value);

    /// <summary>Calls made between two snapshots, leaving out the calls that set the project up.</summary>
    private static Dictionary<string, long> Diff(IReadOnlyDictionary<string, long> from, IReadOnlyDictionary<string, long> to) =>
        to.Where(p => !SetupMethods.Any(m => p.Key.EndsWith("." + m, StringComparison.Ordinal)))
            .Select(p => (p.Key, Value: p.Value - from.GetValueOrDefault(p.Key)))
            .Where(p => p.Value > 0)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static double ProcessCpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record RoundResult(int Round, int Participants, double Seconds, double TrainingCpuSeconds, double ComputeSeconds, double OrchestrationSeconds, long Messages, double ProcessCpuSeconds);

    private sealed class ChannelObserver : IProjectObserver
    {
        private readonly Channel<ProjectSnapshot> _updates = Channel.CreateUnbounded<ProjectSnapshot>();

        public ChannelReader<ProjectSnapshot> Updates => _updates.Reader;

        public void OnProgress(ProjectSnapshot snapshot) => _updates.Writer.TryWrite(snapshot);
    }
}
