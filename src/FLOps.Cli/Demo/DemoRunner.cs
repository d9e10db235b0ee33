using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FLOps.Abstractions.Projects;
using FLOps.Cli.Service;
using FLOps.Client;
using FLOps.Gateway;
using FLOps.Grains.Devices;
using FLOps.Grains.Projects;
using FLOps.Hosting;
using FLOps.Inference;
using FLOps.Learning.Data;
using FLOps.Learning.Models.Kinds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace FLOps.Cli.Demo;

/// <summary>Runs <c>flops demo</c>: an embedded silo, one simulated project, live progress, the model on disk.</summary>
public static class DemoRunner
{
    private static readonly Dictionary<string, string> OptionOfField = new(StringComparer.Ordinal)
    {
        ["simulation.devices"] = "--devices",
        ["simulation.partition"] = "--partition",
        ["training.rounds"] = "--rounds",
        ["training.localEpochs"] = "--local-epochs",
        ["training.batchSize"] = "--batch-size",
        ["training.learningRate"] = "--learning-rate",
        ["training.momentum"] = "--momentum",
        ["training.minFitClients"] = "--min-fit-clients",
        ["training.minAvailableClients"] = "--min-fit-clients",
        ["training.fractionFit"] = "--fraction-fit",
        ["training.roundTimeoutSeconds"] = "--round-timeout",
        ["training.mode"] = "--mode",
        ["training.cycles"] = "--cycles",
        ["simulation.clusters"] = "--edge-clusters",
        ["training.minFitClusters"] = "--edge-clusters",
        ["model.kind"] = "--model",
        ["strategy"] = "--strategy",
        ["simulation.byzantineDevices"] = "--byzantine",
        ["simulation.byzantineAttack"] = "--attack",
        ["validation.maxUpdateNorm"] = "--max-update-norm",
        ["privacy.clippingNorm"] = "--dp-clipping-norm",
        ["privacy.noiseMultiplier"] = "--dp-noise-multiplier",
        ["training.onRoundFailure"] = "--on-round-failure",
        ["simulation.speedSpread"] = "--speed-spread",
        ["simulation.dropoutRate"] = "--dropout-rate",
    };

    public static ProjectSpec SpecFor(DemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var minFit = settings.MinFitClients ?? Math.Min(2, Math.Max(settings.Devices, 1));
        var training = TrainingOf(settings);
        return new ProjectSpec
        {
            Name = "mnist-demo",
            DataTag = "mnist",
            Model = new ModelSpec { Kind = settings.Model },
            Training = new TrainingSpec
            {
                Mode = settings.Mode,
                Rounds = settings.Rounds,
                Cycles = settings.Cycles,
                LocalEpochs = training.LocalEpochs,
                BatchSize = training.BatchSize,
                LearningRate = training.LearningRate,
                Momentum = training.Momentum,
                MinFitClients = minFit,
                MinAvailableClients = minFit,
                FractionFit = settings.FractionFit,
                RoundTimeoutSeconds = settings.RoundTimeoutSeconds ?? DefaultRoundTimeoutSeconds(settings, training.LocalEpochs),
                OnRoundFailure = settings.OnRoundFailure,
            },
            Strategy = new StrategySpec { Name = settings.Strategy, Parameters = settings.StrategyParameters },
            Simulation = new SimulationSpec
            {
                Devices = settings.Devices,
                Partition = settings.Partition,
                Seed = settings.Seed,
                ByzantineDevices = settings.ByzantineDevices,
                ByzantineAttack = settings.Attack,
                SpeedSpread = settings.SpeedSpread,
                DropoutRate = settings.DropoutRate,
                Clusters = settings.IsHierarchical && settings.EdgeClusters > 0 ? settings.EdgeClusterNames : null,
            },
            Validation = settings.MaxUpdateNorm is { } bound ? new ValidationSpec { MaxUpdateNorm = bound } : null,
            Privacy = settings.ClippingNorm is not null || settings.NoiseMultiplier != 0
                ? new PrivacySpec { ClippingNorm = settings.ClippingNorm ?? 0, NoiseMultiplier = settings.NoiseMultiplier }
                : null,
        };
    }

    /// <summary>
    /// How long a demo round waits unless --round-timeout says: 120 s, the service's default,
    /// except with dropouts, where every round with an abandoned task waits for its deadline. Then
    /// 1.5 × what the slowest device computes in simulation (on an average shard) plus 3 s for
    /// real training on a busy machine, so that the demo shows sync rounds cut at their deadline
    /// rather than two minutes of nothing (10 rounds of 10 devices at spread 10 and dropout 0.1:
    /// about 45 s).
    /// </summary>
    public static int DefaultRoundTimeoutSeconds(DemoSettings settings, int localEpochs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        const int Default = 120;
        if (!(settings.DropoutRate > 0) || settings.Devices < 1)
        {
            return Default;
        }

        var samples = (Mnist.Load().Train.Count + settings.Devices - 1) / settings.Devices;
        var slowest = SimulatedHeterogeneity.ExtraComputeTime(Math.Max(settings.SpeedSpread, 1), samples, Math.Max(localEpochs, 1));
        return (int)Math.Min(Default, Math.Ceiling((1.5 * slowest.TotalSeconds) + 3));
    }

    /// <summary>
    /// The local training the demo runs: the options given, and for the others what suits the model
    /// kind (<see cref="IModelKind.SuggestedTraining"/>; the softmax's for a kind the catalogue does
    /// not have, which the validation then refuses naming --model).
    /// </summary>
    public static SuggestedTraining TrainingOf(DemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var suggested = (ModelCatalog.Find(settings.Model) ?? SoftmaxKind.Instance).SuggestedTraining;
        return new SuggestedTraining(
            settings.LocalEpochs ?? suggested.LocalEpochs,
            settings.BatchSize ?? suggested.BatchSize,
            settings.LearningRate ?? suggested.LearningRate,
            settings.Momentum ?? suggested.Momentum);
    }

    /// <summary>Throws <see cref="UsageException"/> naming the option behind the first problem of the spec.</summary>
    public static void Validate(ProjectSpec spec, DemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.EdgeClusters is < 0 or > DemoSettings.MaxEdgeClusters)
        {
            throw new UsageException($"--edge-clusters: must be between 0 and {DemoSettings.MaxEdgeClusters} (got {settings.EdgeClusters})");
        }

        if (settings.IsHierarchical && settings.EdgeClusters == 0 && settings.Durable is null)
        {
            throw new UsageException("--mode hierarchical needs edge silos to run on: add --edge-clusters K (1 or more)");
        }

        var errors = ProjectSpecValidator.Validate(spec);
        if (errors.Count > 0)
        {
            var error = errors[0];
            var option = OptionOfField.GetValueOrDefault(error.Field, error.Field);
            if (error.Field == "strategy" && spec.Strategy.Parameters is not null && FLOps.Learning.Aggregation.StrategyCatalog.Names.Contains(spec.Strategy.Name.Trim().ToLowerInvariant()))
            {
                option = "--strategy-param";
            }

            throw new UsageException($"{option}: {error.Message}");
        }
    }

    public static async Task<int> RunAsync(DemoSettings settings, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        var spec = SpecFor(settings);
        Validate(spec, settings);

        var clock = Stopwatch.StartNew();
        await using var silos = await DemoSilos.StartAsync(settings, cancellationToken);
        var flops = new FlopsClient(silos.Grains);
        await stdout.WriteLineAsync(settings.IsHierarchical
            ? $"FLOps demo (hierarchical): {settings.Devices} devices over {silos.Description}, {settings.Cycles} cycles of {settings.Rounds} inner rounds of {spec.Strategy.Name}, {settings.Model} model, {settings.Partition} partition, seed {settings.Seed}"
            : $"FLOps demo: {settings.Devices} devices, {settings.Rounds} rounds of {spec.Strategy.Name}, {settings.Model} model, {settings.Partition} partition, seed {settings.Seed}");
        await stdout.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"Local training: {spec.Training.LocalEpochs} epochs, batch {spec.Training.BatchSize}, learning rate {spec.Training.LearningRate}, momentum {spec.Training.Momentum}"));
        if (settings.SpeedSpread > 1 || settings.DropoutRate > 0)
        {
            await stdout.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"Simulated fleet: speed spread {settings.SpeedSpread} (compute factors 1 to {settings.SpeedSpread}), dropout rate {settings.DropoutRate}; rounds wait at most {spec.Training.RoundTimeoutSeconds} s"));
        }

        var submitted = clock.Elapsed;
        var projectId = (await flops.SubmitAsync(spec)).Id;
        var outputDirectory = Path.GetFullPath(string.IsNullOrWhiteSpace(settings.OutputDirectory)
            ? Path.Combine("flops-out", projectId)
            : settings.OutputDirectory);
        Directory.CreateDirectory(outputDirectory);
        using var cancelOnCtrlC = cancellationToken.Register(() => flops.CancelAsync(projectId, "interrupted from the terminal"));
        // Ctrl-C cancels the project; following goes on until the project says it ended.
        var final = await FollowAsync(flops.WatchAsync(projectId, CancellationToken.None), settings, stdout);
        var projectSeconds = (clock.Elapsed - submitted).TotalSeconds;

        if (final.State != ProjectState.Completed)
        {
            await Console.Error.WriteLineAsync($"flops: project {final.State}: {final.Reason}");
            return ExitCodes.Failure;
        }

        var onnx = await flops.DownloadModelAsync(projectId);
        var modelPath = Path.Combine(outputDirectory, "model.onnx");
        await File.WriteAllBytesAsync(modelPath, onnx, CancellationToken.None);
        var evaluation = EvaluateWithMlNet(onnx);
        var result = new DemoResult
        {
            ProjectId = projectId,
            Accuracy = evaluation.MicroAccuracy,
            Loss = evaluation.LogLoss,
            Rounds = final.Rounds.Count,
            Devices = settings.Devices,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
            ProjectSeconds = Math.Round(projectSeconds, 3),
            Model = modelPath,
            BytesToCloud = final.BytesToCloud,
            Mode = spec.Training.Mode,
            EdgeClusters = settings.EdgeClusters,
            Cycles = settings.IsHierarchical ? settings.Cycles : null,
            BytesToEdge = settings.IsHierarchical ? final.Rounds.Sum(c => c.Clusters.Sum(k => k.InnerRounds.Sum(r => r.UpdateBytes))) : null,
            ModelKind = spec.Model.Kind,
            Partition = settings.Partition,
            Strategy = spec.Strategy.Name,
            Seed = settings.Seed,
            Metrics = Path.Combine(outputDirectory, "rounds.csv"),
            History = final.Rounds,
        };
        await WriteMetricsAsync(outputDirectory, result);

        // Stopped before the last lines: a stopping silo may still log, and --json promises that
        // the result is the last line of stdout.
        await silos.DisposeAsync();

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Final accuracy (ML.NET, {evaluation.Count} held-out digits): {evaluation.MicroAccuracy:F4}, log-loss {evaluation.LogLoss:F4}, {result.Seconds:F1} s"));
        await stdout.WriteLineAsync($"Model: {modelPath}");
        await stdout.WriteLineAsync(result.BytesToEdge is { } toEdge
            ? string.Create(CultureInfo.InvariantCulture, $"Bytes to cloud: {result.BytesToCloud:N0} (one model per cluster per cycle); the device updates ({toEdge:N0} bytes) stayed in their edge clusters, where classic mode sends them all to the cloud")
            : string.Create(CultureInfo.InvariantCulture, $"Bytes to cloud: {result.BytesToCloud:N0} (every device update)"));
        if (settings.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(result with { History = null }, DemoResult.JsonOptions));
        }

        return ExitCodes.Success;
    }

    private static MulticlassEvaluation EvaluateWithMlNet(byte[] onnx)
    {
        var test = Mnist.Load().Test;
        using var scorer = new OnnxModelScorer(onnx, test.FeatureCount, test.ClassCount);
        return scorer.Evaluate(test);
    }

    /// <summary>
    /// Prints each round as the project reports it. A terminal gets a progress bar as well; a
    /// pipe gets plain lines.
    /// </summary>
    private static async Task<ProjectSnapshot> FollowAsync(IAsyncEnumerable<ProjectSnapshot> progress, DemoSettings settings, TextWriter stdout)
    {
        var interactive = !settings.Json && !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out);
        var printed = 0;
        ProjectSnapshot? last = null;
        async Task Follow(Action<string> writeLine, Action<ProjectSnapshot> onChange)
        {
            await foreach (var snapshot in progress)
            {
                foreach (var round in snapshot.Rounds.Skip(printed))
                {
                    writeLine(ProjectText.RoundLine(ProjectViews.Of(round), snapshot.TotalRounds));
                }

                printed = Math.Max(printed, snapshot.Rounds.Count);
                onChange(snapshot);
                last = snapshot;
            }
        }

        if (!interactive)
        {
            await Follow(line => stdout.WriteLine(line), _ => { });
        }
        else
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var total = settings.IsHierarchical ? settings.Cycles : settings.Rounds;
                    var bar = context.AddTask("Training", maxValue: total);
                    await Follow(line => AnsiConsole.WriteLine(line), snapshot =>
                    {
                        bar.Value = snapshot.Rounds.Count;
                        bar.Description = $"{(settings.IsHierarchical ? "Cycle" : "Round")} {Math.Min(snapshot.CurrentRound, total)}/{total}";
                    });
                    bar.StopTask();
                });
        }

        return last ?? throw new InvalidOperationException("the project reported nothing");
    }

    private static async Task WriteMetricsAsync(string directory, DemoResult result)
    {
        var csv = new StringBuilder("round,participants,selected,accuracy,loss,training_loss,seconds,update_bytes,refused,rejected\n");
        foreach (var r in result.History!)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Round},{r.Participants},{r.Selected},{r.Accuracy:R},{r.Loss:R},{r.TrainingLoss:R},{r.Seconds:R},{r.UpdateBytes},{r.RefusedUpdates},{r.RejectionCount}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "rounds.csv"), csv.ToString());
        await File.WriteAllTextAsync(Path.Combine(directory, "rounds.json"), JsonSerializer.Serialize(result, DemoResult.IndentedJsonOptions));
    }
}
