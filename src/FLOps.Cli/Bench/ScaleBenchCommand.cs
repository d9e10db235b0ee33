using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Client;
using FLOps.Grains.Devices;
using FLOps.Grains.Diagnostics;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Data;

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
    private static readonly string[] SetupMethods = ["Configure", "Submit", "Subscribe", "GetSnapshot", "Unsubscribe", "Register", "RegisterDevices", "AddMany", "FanOut", "Ping"];

    /// <summary>Profiles sent to the tenant per registration call: one tenant write and 64 directory writes per batch.</summary>
    private const int RegistrationBatch = 10_000;

    public const int MaxRegistered = 2_000_000;

    public static Command Create()
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices (N)", DefaultValueFactory = _ => 10_000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (R)", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seeds the synthetic data and the model", DefaultValueFactory = _ => 42 };
        var timeout = new Option<int>("--round-timeout") { Description = "Seconds a round may take before it fails", DefaultValueFactory = _ => 600 };
        var fraction = new Option<double>("--fraction") { Description = "Fraction of the devices each round selects (fractionFit)", DefaultValueFactory = _ => 1.0 };
        var silos = new Option<int>("--silos") { Description = "Silos in this process, the devices spread over them", DefaultValueFactory = _ => 1 };
        var registered = new Option<int>("--registered") { Description = "Register N devices through the tenant's device directory and train on them instead of simulated devices" };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };
        var verbose = new Option<bool>("--verbose") { Description = "Log the grains' progress (rounds opened and closed)" };
        var command = new Command("scale", "Round time, orchestration time beside a bare Orleans fan-out, grain calls and memory with N devices (simulated or registered) in one process")
        {
            devices, rounds, seed, timeout, fraction, silos, registered, json, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ScaleBenchSettings
            {
                Devices = parse.GetValue(devices),
                Rounds = parse.GetValue(rounds),
                Seed = parse.GetValue(seed),
                RoundTimeoutSeconds = parse.GetValue(timeout),
                Fraction = parse.GetValue(fraction),
                Silos = parse.GetValue(silos),
                Registered = parse.GetValue(registered),
                Json = parse.GetValue(json),
                Verbose = parse.GetValue(verbose),
            };
            Validate(settings);
            return await RunAsync(settings, Console.Out, cancellationToken);
        });
        return command;
    }

    private static void Validate(ScaleBenchSettings settings)
    {
        if (settings.Devices is < 2 or > ProjectSpecValidator.MaxSimulatedDevices)
        {
            throw new UsageException($"--devices: must be between 2 and {ProjectSpecValidator.MaxSimulatedDevices} (got {settings.Devices})");
        }

        if (settings.Rounds is < 1 or > 1000)
        {
            throw new UsageException($"--rounds: must be between 1 and 1000 (got {settings.Rounds})");
        }

        if (settings.RoundTimeoutSeconds is < 1 or > 86_400)
        {
            throw new UsageException($"--round-timeout: must be between 1 and 86400 (got {settings.RoundTimeoutSeconds})");
        }

        if (!(settings.Fraction > 0 && settings.Fraction <= 1))
        {
            throw new UsageException($"--fraction: must be greater than 0 and at most 1 (got {settings.Fraction})");
        }

        if (settings.Silos is < 1 or > 8)
        {
            throw new UsageException($"--silos: must be between 1 and 8 (got {settings.Silos})");
        }

        if (settings.Registered != 0 && settings.Registered is < 2 or > MaxRegistered)
        {
            throw new UsageException($"--registered: must be between 2 and {MaxRegistered} (got {settings.Registered})");
        }
    }

    /// <summary>
    /// The project the bench runs: softmax over 16 features and 4 classes (68 parameters), one step
    /// per device per round, over simulated devices or, without <c>simulation</c>, the tenant's
    /// registered ones. Every selected device must report.
    /// </summary>
    public static ProjectSpec SpecFor(ScaleBenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var selected = ParticipantSampler.TargetCount(settings.Pool, new ParticipantSelection(settings.Fraction, 0, settings.Seed, 1));
        return new ProjectSpec
        {
            Name = "bench-scale",
            DataTag = MnistDataCatalog.SyntheticTag,
            Model = new ModelSpec { Kind = "softmax" },
            Training = new TrainingSpec
            {
                Rounds = settings.Rounds,
                LocalEpochs = 1,
                BatchSize = SyntheticClusters.SamplesPerDevice,
                LearningRate = 0.5,
                MinFitClients = selected,
                MinAvailableClients = selected,
                FractionFit = settings.Fraction,
                RoundTimeoutSeconds = settings.RoundTimeoutSeconds,
            },
            Strategy = new StrategySpec { Name = "fedavg" },
            Simulation = settings.Registered > 0 ? null : new SimulationSpec { Devices = settings.Devices, Partition = "iid", Seed = settings.Seed },
        };
    }

    public static async Task<int> RunAsync(ScaleBenchSettings settings, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        var spec = SpecFor(settings);
        ProjectSpecValidator.ThrowIfInvalid(spec);
        var rounds = settings.Rounds;
        var cores = Environment.ProcessorCount;
        await using var silos = await ScaleBenchSilos.StartAsync(settings.Silos, settings.Registered, settings.Verbose, cancellationToken);
        var grains = silos.Grains;
        var training = silos.Training;
        var kind = settings.Registered > 0 ? "registered" : "simulated";
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"FLOps bench scale: {settings.Pool:N0} {kind} devices, fraction {settings.Fraction}, {rounds} rounds, {settings.Silos} silo(s), softmax 16×4 on '{spec.DataTag}' ({SyntheticClusters.SamplesPerDevice} samples, one step per device), {cores} cores"));

        double? registerSeconds = null;
        if (settings.Registered > 0)
        {
            var registration = Stopwatch.StartNew();
            await RegisterDevices(grains, settings);
            registerSeconds = registration.Elapsed.TotalSeconds;
            var active = (await silos.ActivationsPerSilo(typeof(DeviceGrain))).Sum();
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{settings.Registered:N0} devices registered through the tenant in {registerSeconds:F2} s; device grains active now: {active:N0}"));
        }

        var projectId = $"scale-{Guid.NewGuid():N}"[..18];
        var project = grains.GetGrain<IProjectGrain>(projectId);
        var progress = new ChannelObserver();
        var observer = grains.CreateObjectReference<IProjectObserver>(progress);
        await project.Subscribe(observer);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration());
        var wall = Stopwatch.StartNew();
        var marks = new List<(double Cpu, IReadOnlyDictionary<string, long> Calls, double ProcessCpu)> { (training.TrainingCpuSeconds, SnapshotCalls(silos), ProcessCpuSeconds()) };
        var submit = Stopwatch.StartNew();
        await project.Submit(spec, FlopsClient.DefaultTenant);
        var submitSeconds = submit.Elapsed.TotalSeconds;
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"project accepted in {submitSeconds:F3} s"));
        ProjectSnapshot final;
        try
        {
            final = await Follow(project, progress, rounds, settings.RoundTimeoutSeconds, () => marks.Add((training.TrainingCpuSeconds, SnapshotCalls(silos), ProcessCpuSeconds())), cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"flops: bench scale: the project did not end within {rounds} × {settings.RoundTimeoutSeconds} s + 60 s");
            return ExitCodes.Failure;
        }

        wall.Stop();
        await project.Unsubscribe(observer);
        if (final.State != ProjectState.Completed || final.Rounds.Count != rounds)
        {
            await Console.Error.WriteLineAsync($"flops: bench scale: project {final.State} after {final.Rounds.Count} of {rounds} rounds: {final.Reason}");
            return ExitCodes.Failure;
        }

        // What the devices that took part hold while idle, with everything else the rounds left behind.
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var bytesPerDevice = Math.Max(0, (double)(after - before)) / settings.Pool;

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
        var busy = silos.Calls.SelectMany(c => c.BusySeconds()).GroupBy(p => p.Key, p => p.Value).Select(g => (Method: g.Key, Seconds: g.Sum()));
        await stdout.WriteLineAsync("seconds inside grain calls, summed by method: " + string.Join(", ", busy.Where(p => p.Seconds >= 0.01).OrderByDescending(p => p.Seconds).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Method} {p.Seconds:F2}"))));
        var devicesPerSilo = await silos.ActivationsPerSilo(typeof(DeviceGrain));
        if (settings.Silos > 1)
        {
            await stdout.WriteLineAsync("device grains active per silo: " + string.Join(", ", devicesPerSilo.Select((n, i) => $"silo {i + 1}: {n:N0}")));
        }

        var participants = Median(results.Select(r => (double)r.Participants));
        var bare = await BareFanout(grains, (int)participants);
        var roundSeconds = Median(results.Select(r => r.Seconds));

        // Rounded before the ratio is taken, so that the JSON's three figures agree with each other.
        var orchestrationSeconds = Math.Round(Median(results.Select(r => r.OrchestrationSeconds)), 6);
        bare = Math.Round(bare, 6);
        var fanoutRatio = bare > 0 ? orchestrationSeconds / bare : 0;
        long peakWorkingSet;
        using (var process = Process.GetCurrentProcess())
        {
            peakWorkingSet = process.PeakWorkingSet64;
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"bare Orleans fan-out over {participants:N0} trivial grains (median of 3): {bare:F3} s; orchestration / bare fan-out = {fanoutRatio:F2}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"median round {roundSeconds:F3} s, orchestration {orchestrationSeconds:F3} s; submit {submitSeconds:F3} s; {bytesPerDevice:N0} bytes per device; peak working set {peakWorkingSet / 1e9:F2} GB; final accuracy {final.Rounds[^1].Accuracy:F3}; {wall.Elapsed.TotalSeconds:F1} s for all rounds"));
        if (settings.Json)
        {
            var document = new
            {
                devices = settings.Pool,
                rounds,
                orchestrationSeconds,
                roundSeconds = Math.Round(roundSeconds, 4),
                bytesPerDevice = Math.Round(bytesPerDevice),
                bareFanoutSeconds = bare,
                fanoutRatio = Math.Round(fanoutRatio, 3),
                submitSeconds = Math.Round(submitSeconds, 4),
                peakWorkingSetBytes = peakWorkingSet,
                silos = settings.Silos,
                fraction = settings.Fraction,
                registered = settings.Registered,
                registerSeconds = registerSeconds is { } r ? Math.Round(r, 3) : (double?)null,
                participantsPerRound = participants,
                devicesPerSilo,
                messagesPerRound = Median(results.Select(r => (double)r.Messages)),
                trainingCpuSeconds = Math.Round(Median(results.Select(r => r.TrainingCpuSeconds)), 4),
                cores,
                cpuTimeMeasured = ThreadCpuTime.IsCpuTime,
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

    /// <summary>
    /// Registers the devices through the tenant, in batches, each with a shard of the synthetic data
    /// so that it trains inside the silo when a round selects it.
    /// </summary>
    private static async Task RegisterDevices(IGrainFactory grains, ScaleBenchSettings settings)
    {
        var tenant = grains.GetGrain<ITenantGrain>(FlopsClient.DefaultTenant);
        for (var start = 0; start < settings.Registered; start += RegistrationBatch)
        {
            var profiles = Enumerable.Range(start, Math.Min(RegistrationBatch, settings.Registered - start)).Select(index => new DeviceProfile
            {
                Name = $"bench device {index}",
                DataTags = [MnistDataCatalog.SyntheticTag],
                SampleCount = SyntheticClusters.SamplesPerDevice,
                Shard = new SimulatedShard(MnistDataCatalog.SyntheticTag, "iid", settings.Seed, index, settings.Registered),
            }).ToList();
            var results = await tenant.RegisterDevices(profiles);
            if (results.FirstOrDefault(r => r.DeviceId is null) is { } refused)
            {
                throw new InvalidOperationException($"registration refused: {refused.LimitReached ?? string.Join("; ", refused.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
            }
        }
    }

    /// <summary>
    /// A bare Orleans fan-out over as many trivial grains as a round hands its task to, from inside a
    /// grain as a round's is: activated once, then timed three times warm (as the devices are after
    /// their first round); the median.
    /// </summary>
    private static async Task<double> BareFanout(IGrainFactory grains, int count)
    {
        var probe = grains.GetGrain<IFanoutProbeGrain>("bench-scale");
        var prefix = $"fanout-{Guid.NewGuid():N}"[..15];
        await probe.FanOut(prefix, count);
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            times.Add(await probe.FanOut(prefix, count));
        }

        return Median(times);
    }

    private static IReadOnlyDictionary<string, long> SnapshotCalls(ScaleBenchSilos silos) =>
        silos.Calls.SelectMany(c => c.Snapshot()).GroupBy(p => p.Key, p => p.Value, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(), StringComparer.Ordinal);

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
                // Observer notifications are best effort: ask the project itself now and then. A
                // project busy starting a huge round may not answer within the call timeout; that
                // is no reason to give up on it before the bench's own limit.
                try
                {
                    snapshot = await project.GetSnapshot();
                }
                catch (TimeoutException)
                {
                    continue;
                }
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
