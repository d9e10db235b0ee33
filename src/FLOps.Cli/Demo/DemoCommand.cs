using System.CommandLine;
using FLOps.Cli.Cluster;
using FLOps.Hosting.Network;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Cli.Demo;

public static class DemoCommand
{
    public static Command Create()
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices, each with its own shard of MNIST", DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { Description = "Federated rounds", DefaultValueFactory = _ => 10 };
        var model = new Option<string>("--model") { Description = ModelHelp(), DefaultValueFactory = _ => SoftmaxKind.Instance.Name };
        var partition = new Option<string>("--partition") { Description = "iid or dirichlet:ALPHA (label skew, smaller is more skewed)", DefaultValueFactory = _ => "iid" };
        var seed = new Option<int>("--seed") { Description = "Seeds partitioning, selection and training", DefaultValueFactory = _ => 42 };
        var localEpochs = new Option<int?>("--local-epochs") { Description = "Passes over its shard each device makes per round" + Suggested(t => t.LocalEpochs) };
        var batchSize = new Option<int?>("--batch-size") { Description = "Local mini-batch size" + Suggested(t => t.BatchSize) };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Local SGD step size" + Suggested(t => t.LearningRate) };
        var momentum = new Option<double?>("--momentum") { Description = "Momentum of local SGD, between 0 and 0.999" + Suggested(t => t.Momentum) };
        var minFit = new Option<int?>("--min-fit-clients") { Description = "Fewest updates a round is aggregated from (default: min(2, devices))" };
        var fractionFit = new Option<double>("--fraction-fit") { Description = "Fraction of devices asked to train each round", DefaultValueFactory = _ => 1.0 };
        var timeout = new Option<int?>("--round-timeout") { Description = "Seconds a round waits for updates (default: 120; with --dropout-rate, 1.5 times the slowest device's simulated compute plus 3 s)" };
        var strategy = new Option<string>("--strategy") { Description = "Aggregation strategy", DefaultValueFactory = _ => "fedavg" };
        var mode = new Option<string>("--mode") { Description = "classic or hierarchical", DefaultValueFactory = _ => "classic" };
        var speedSpread = new Option<double>("--speed-spread") { Description = "Simulated compute speed: the slowest device is this many times slower than the fastest (factors spread from 1, from the seed; 0.25 ms per sample and epoch per unit of factor above 1)", DefaultValueFactory = _ => 1 };
        var dropoutRate = new Option<double>("--dropout-rate") { Description = "Share of tasks a simulated device takes and never reports on, from 0 to below 1 (from the seed); rounds wait for their deadline and count it as a straggler", DefaultValueFactory = _ => 0 };
        var edgeClusters = new Option<int>("--edge-clusters") { Description = "Edge silos to host beside the cloud silo, one per edge cluster (edge-a, edge-b, ...); hierarchical mode spreads the devices over them", DefaultValueFactory = _ => 0 };
        var cycles = new Option<int>("--cycles") { Description = "Hierarchical mode: cloud aggregations, each after --rounds inner rounds in every edge cluster", DefaultValueFactory = _ => 1 };
        var byzantine = new Option<int>("--byzantine") { Description = "Simulated devices (the first K) that send poisoned updates", DefaultValueFactory = _ => 0 };
        var attack = new Option<string>("--attack") { Description = "What byzantine devices send: flip (update change scaled by -10) or noise (global + N(0,1) per parameter)", DefaultValueFactory = _ => "flip" };
        var strategyParams = new Option<string[]>("--strategy-param") { Description = "A strategy parameter as key=value (repeat for several), e.g. --strategy-param f=2", AllowMultipleArgumentsPerToken = false };
        var maxUpdateNorm = new Option<double?>("--max-update-norm") { Description = "Reject updates whose change to the global model has a larger L2 norm" };
        var clippingNorm = new Option<double?>("--dp-clipping-norm") { Description = "Differential privacy: clip each update's change to this L2 norm (server side)" };
        var noiseMultiplier = new Option<double>("--dp-noise-multiplier") { Description = "Differential privacy: Gaussian noise stdev = multiplier * clipping norm / updates", DefaultValueFactory = _ => 0 };
        var onRoundFailure = new Option<string>("--on-round-failure") { Description = "fail or retry when a round misses its quorum", DefaultValueFactory = _ => "fail" };
        var output = new Option<string?>("--out") { Description = "Folder for model.onnx and the per-round metrics (default: ./flops-out/<project>)" };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };
        var siloPort = new Option<int>("--silo-port") { Description = "Port of the embedded silo (default: a free one)" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Client gateway port of the embedded silo (default: a free one)" };
        var metrics = new MetricsOptions();

        var command = new Command("demo", "Run one federated training on simulated devices over the bundled MNIST, in this process")
        {
            devices, rounds, model, partition, seed, localEpochs, batchSize, learningRate, momentum, minFit, fractionFit, timeout,
            strategy, strategyParams, mode, edgeClusters, cycles, speedSpread, dropoutRate, byzantine, attack, maxUpdateNorm, clippingNorm, noiseMultiplier, onRoundFailure, output, json, siloPort, gatewayPort,
        };
        var cluster = new ClusterOptions();
        var network = new NetworkOptions();
        foreach (var option in cluster.All.Concat(metrics.All).Concat(network.ForSilo))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new DemoSettings
            {
                Devices = parse.GetValue(devices),
                Rounds = parse.GetValue(rounds),
                Model = parse.GetValue(model)!,
                Partition = parse.GetValue(partition)!,
                Seed = parse.GetValue(seed),
                LocalEpochs = parse.GetValue(localEpochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                Momentum = parse.GetValue(momentum),
                MinFitClients = parse.GetValue(minFit),
                FractionFit = parse.GetValue(fractionFit),
                RoundTimeoutSeconds = parse.GetValue(timeout),
                Strategy = parse.GetValue(strategy)!,
                StrategyParameters = ParseStrategyParameters(parse.GetValue(strategyParams) ?? []),
                ByzantineDevices = parse.GetValue(byzantine),
                Attack = parse.GetValue(attack)!,
                MaxUpdateNorm = parse.GetValue(maxUpdateNorm),
                ClippingNorm = parse.GetValue(clippingNorm),
                NoiseMultiplier = parse.GetValue(noiseMultiplier),
                OnRoundFailure = parse.GetValue(onRoundFailure)!,
                Mode = parse.GetValue(mode)!,
                EdgeClusters = parse.GetValue(edgeClusters),
                Cycles = parse.GetValue(cycles),
                SpeedSpread = parse.GetValue(speedSpread),
                DropoutRate = parse.GetValue(dropoutRate),
                OutputDirectory = parse.GetValue(output) ?? "",
                Json = parse.GetValue(json),
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                Telemetry = metrics.Telemetry(parse, "flops-demo"),
            };
            if (parse.GetValue(cluster.Postgres) is { } connectionString)
            {
                NotYetSupported(settings.EdgeClusters != 0, "--edge-clusters with --postgres (start edge silos with flops silo --role edge --cluster NAME; the project uses those live)");
                settings = settings with { Durable = cluster.SiloOptions(parse, connectionString, settings.SiloPort, settings.GatewayPort) with { Telemetry = settings.Telemetry, Network = network.Silo(parse) } };
            }

            else if (network.Silo(parse) != SiloNetwork.Loopback)
            {
                throw new UsageException("--advertise, --listen-any and --tls-* are for a demo whose silo joins a cluster (--postgres); the embedded demo stays on loopback");
            }

            return await DemoRunner.RunAsync(settings, Console.Out, cancellationToken);
        });
        return command;
    }

    /// <summary>The kinds of <see cref="ModelCatalog"/>, each with what it computes.</summary>
    public static string ModelHelp() =>
        "Model kind: " + string.Join("; ", ModelCatalog.Kinds.Select(kind => $"{kind.Name} ({kind.Description})"));

    /// <summary>The default of a local training option, per kind: <c> (default: softmax 0.5, mlp 0.5, cnn 0.05)</c>.</summary>
    private static string Suggested<T>(Func<SuggestedTraining, T> setting) =>
        FormattableString.Invariant($" (default: {string.Join(", ", ModelCatalog.Kinds.Select(kind => FormattableString.Invariant($"{kind.Name} {setting(kind.SuggestedTraining)}")))})");

    /// <summary>Repeated <c>--strategy-param key=value</c> as the spec's parameters; <see langword="null"/> when none.</summary>
    public static IReadOnlyDictionary<string, double>? ParseStrategyParameters(IReadOnlyList<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            return null;
        }

        var parameters = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !double.TryParse(pair.AsSpan(equals + 1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                throw new UsageException($"--strategy-param: expected key=number, got '{pair}'");
            }

            parameters[pair[..equals].Trim()] = value;
        }

        return parameters;
    }

    private static void NotYetSupported(bool used, string option)
    {
        if (used)
        {
            throw new UsageException($"{option} is not yet supported");
        }
    }
}
