using FLOps.Hosting;
using FLOps.Learning.Models.Kinds;
using FLOps.Telemetry;

namespace FLOps.Cli.Demo;

/// <summary>What <c>flops demo</c> was asked to run.</summary>
public sealed record DemoSettings
{
    public int Devices { get; init; } = 10;

    public int Rounds { get; init; } = 10;

    public string Model { get; init; } = "softmax";

    public string Partition { get; init; } = "iid";

    public int Seed { get; init; } = 42;

    /// <summary>Unset: the model kind's <see cref="SuggestedTraining"/>, as are the three below.</summary>
    public int? LocalEpochs { get; init; }

    public int? BatchSize { get; init; }

    public double? LearningRate { get; init; }

    public double? Momentum { get; init; }

    public int? MinFitClients { get; init; }

    public double FractionFit { get; init; } = 1.0;

    /// <summary>Unset: <see cref="DemoRunner.DefaultRoundTimeoutSeconds"/>.</summary>
    public int? RoundTimeoutSeconds { get; init; }

    public string Strategy { get; init; } = "fedavg";

    /// <summary>From repeated <c>--strategy-param key=value</c>.</summary>
    public IReadOnlyDictionary<string, double>? StrategyParameters { get; init; }

    public int ByzantineDevices { get; init; }

    public string Attack { get; init; } = "flip";

    public double? MaxUpdateNorm { get; init; }

    public double? ClippingNorm { get; init; }

    public double NoiseMultiplier { get; init; }

    public string OnRoundFailure { get; init; } = "fail";

    public string Mode { get; init; } = "classic";

    /// <summary>Edge silos hosted beside the cloud silo, one per edge cluster.</summary>
    public int EdgeClusters { get; init; }

    /// <summary>Hierarchical mode: cloud aggregations, each after <see cref="Rounds"/> inner rounds.</summary>
    public int Cycles { get; init; } = 1;

    public const int MaxEdgeClusters = 26;

    /// <summary><c>simulation.speedSpread</c>: the slowest simulated device's compute factor.</summary>
    public double SpeedSpread { get; init; } = 1;

    /// <summary><c>simulation.dropoutRate</c>: the share of tasks simulated devices abandon.</summary>
    public double DropoutRate { get; init; }

    /// <summary>The names of the hosted edge clusters: edge-a, edge-b, …</summary>
    public IReadOnlyList<string> EdgeClusterNames => [.. Enumerable.Range(0, Math.Clamp(EdgeClusters, 0, MaxEdgeClusters)).Select(i => $"edge-{(char)('a' + i)}")];

    public bool IsHierarchical => string.Equals(Mode, "hierarchical", StringComparison.OrdinalIgnoreCase);

    public string OutputDirectory { get; init; } = "";

    public bool Json { get; init; }

    public int SiloPort { get; init; }

    public int GatewayPort { get; init; }

    /// <summary>The <c>/metrics</c> endpoint (<c>--metrics-port</c>), up while the demo runs; OTLP export when the environment asks.</summary>
    public FlopsTelemetryOptions Telemetry { get; init; } = new() { ServiceName = "flops-demo" };

    /// <summary>Set with <c>--postgres</c>: the demo's silo joins that durable cluster instead of running embedded.</summary>
    public PostgresSiloOptions? Durable { get; init; }
}
