namespace FLOps.Abstractions.Projects;

/// <summary>
/// What a user hands over: the model to train, on which data, how, and with which strategy.
/// Property names are the JSON contract of the HTTP API (camelCase there).
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.ProjectSpec")]
public sealed record ProjectSpec
{
    [Id(0)] public string Name { get; init; } = "";

    /// <summary>Devices whose data tags contain this one take part.</summary>
    [Id(1)] public string DataTag { get; init; } = "mnist";

    [Id(2)] public ModelSpec Model { get; init; } = new();

    [Id(3)] public TrainingSpec Training { get; init; } = new();

    [Id(4)] public StrategySpec Strategy { get; init; } = new();

    /// <summary>When set, the service creates simulated devices holding shards of the bundled data.</summary>
    [Id(5)] public SimulationSpec? Simulation { get; init; }

    /// <summary>Checks every update must pass before it is aggregated.</summary>
    [Id(6)] public ValidationSpec? Validation { get; init; }

    /// <summary>Server-side differential privacy: fixed clipping of each update plus Gaussian noise.</summary>
    [Id(7)] public PrivacySpec? Privacy { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.ValidationSpec")]
public sealed record ValidationSpec
{
    /// <summary>Updates whose change to the global model, ‖update − global‖₂, exceeds this are rejected; <c>null</c> for no bound.</summary>
    [Id(0)] public double? MaxUpdateNorm { get; init; }

    /// <summary>The largest sample count an update may claim (updates are weighted by it); <c>null</c> for the service's limit (10⁹ unless configured).</summary>
    [Id(1)] public long? MaxSampleCount { get; init; }
}

/// <summary>As Flower's <c>DifferentialPrivacyServerSideFixedClipping</c>.</summary>
[GenerateSerializer, Immutable, Alias("flops.PrivacySpec")]
public sealed record PrivacySpec
{
    /// <summary>Each update's change to the global model is scaled down to at most this L2 norm.</summary>
    [Id(0)] public double ClippingNorm { get; init; }

    /// <summary>The aggregate gets Gaussian noise of standard deviation noiseMultiplier·clippingNorm/n per coordinate.</summary>
    [Id(1)] public double NoiseMultiplier { get; init; }

    /// <summary>Seeds the noise (with the round); defaults to the round's seed.</summary>
    [Id(2)] public int? Seed { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.ModelSpec")]
public sealed record ModelSpec
{
    /// <summary>
    /// A name from FLOps.Learning's <c>ModelCatalog</c> (<c>softmax</c>, <c>mlp</c>, <c>cnn</c>), or
    /// <c>onnx</c> for an uploaded model (<see cref="ModelId"/>); the validator lists the known ones.
    /// </summary>
    [Id(0)] public string Kind { get; init; } = "softmax";

    /// <summary>Hidden units, for kinds with a hidden dense layer (<c>mlp</c>, <c>cnn</c>); ignored by the others.</summary>
    [Id(1)] public int? HiddenUnits { get; init; }

    /// <summary>Features per sample; taken from the bundled data set when the data tag names one.</summary>
    [Id(2)] public int? Inputs { get; init; }

    /// <summary>Number of classes; taken from the bundled data set when the data tag names one.</summary>
    [Id(3)] public int? Classes { get; init; }

    /// <summary>Kind <c>onnx</c>: the id <c>POST /api/v1/models</c> gave the uploaded model; inputs and classes are then the graph's.</summary>
    [Id(4)] public string? ModelId { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.TrainingSpec")]
public sealed record TrainingSpec
{
    /// <summary><c>classic</c> (flat) or <c>hierarchical</c>.</summary>
    [Id(0)] public string Mode { get; init; } = "classic";

    [Id(1)] public int Rounds { get; init; } = 10;

    /// <summary>Hierarchical mode only: cloud aggregations, each after <see cref="Rounds"/> inner rounds in every edge cluster.</summary>
    [Id(2)] public int Cycles { get; init; } = 1;

    [Id(3)] public int LocalEpochs { get; init; } = 1;

    /// <summary>The default model kind's (softmax's) suggested batch, which <c>flops demo</c> uses too.</summary>
    [Id(4)] public int BatchSize { get; init; } = 16;

    /// <summary>The default model kind's (softmax's) suggested step size, which <c>flops demo</c> uses too.</summary>
    [Id(5)] public double LearningRate { get; init; } = 0.5;

    /// <summary>Fewest updates a round may be aggregated from.</summary>
    [Id(6)] public int MinFitClients { get; init; } = 2;

    /// <summary>Fewest devices that must be available before a round starts.</summary>
    [Id(7)] public int MinAvailableClients { get; init; } = 2;

    /// <summary>Fraction of the available devices asked to train each round.</summary>
    [Id(8)] public double FractionFit { get; init; } = 1.0;

    /// <summary>How long a round waits for devices and their updates.</summary>
    [Id(9)] public int RoundTimeoutSeconds { get; init; } = 120;

    /// <summary>
    /// What a round without its quorum at the deadline does: <c>fail</c> (the project fails) or
    /// <c>retry</c> (the same round number runs again with a fresh selection, up to
    /// <see cref="MaxRoundRetries"/> times).
    /// </summary>
    [Id(10)] public string OnRoundFailure { get; init; } = "fail";

    /// <summary>Retries of one round number under <c>onRoundFailure: retry</c>.</summary>
    [Id(11)] public int MaxRoundRetries { get; init; } = 2;

    /// <summary>Hierarchical mode: fewest edge clusters whose models a cycle may be aggregated from (the others are dropped for the cycle).</summary>
    [Id(12)] public int MinFitClusters { get; init; } = 1;

    /// <summary>
    /// Momentum of local SGD, in [0, 0.999], PyTorch's convention (v ← momentum·v + g, w ← w − lr·v),
    /// the velocity starting at zero in every round; 0, the default, is plain SGD.
    /// </summary>
    [Id(13)] public double Momentum { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.StrategySpec")]
public sealed record StrategySpec
{
    [Id(0)] public string Name { get; init; } = "fedavg";

    /// <summary>Numeric parameters of the strategy (for example <c>mu</c> of FedProx).</summary>
    [Id(1)] public IReadOnlyDictionary<string, double>? Parameters { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.SimulationSpec")]
public sealed record SimulationSpec
{
    [Id(0)] public int Devices { get; init; } = 10;

    /// <summary><c>iid</c> or <c>dirichlet:ALPHA</c>.</summary>
    [Id(1)] public string Partition { get; init; } = "iid";

    [Id(2)] public int Seed { get; init; } = 42;

    /// <summary>
    /// Simulated device heterogeneity: device i of n waits latencySeconds·(i+1)/n after training
    /// before it uploads, so updates arrive spread over a round as they do from real devices.
    /// </summary>
    [Id(3)] public double LatencySeconds { get; init; }

    /// <summary>The first this many simulated devices (by index) send poisoned updates.</summary>
    [Id(4)] public int ByzantineDevices { get; init; }

    /// <summary>
    /// <c>flip</c>: global − 10·(local − global), the update's change scaled by −10; <c>noise</c>:
    /// global plus Gaussian noise of standard deviation 1 per parameter.
    /// </summary>
    [Id(5)] public string ByzantineAttack { get; init; } = "flip";

    /// <summary>
    /// Hierarchical mode: the edge clusters the simulated devices are spread over (device i to
    /// cluster i mod K); by default the edge clusters that have a live silo at submission.
    /// </summary>
    [Id(6)] public IReadOnlyList<string>? Clusters { get; init; }

    /// <summary>
    /// Simulated compute speed: each device is slower than the fastest by a factor between 1 and
    /// this, spread evenly over the fleet in an order drawn from <see cref="Seed"/>; 1, the default,
    /// leaves every device at the machine's own speed.
    /// </summary>
    [Id(7)] public double SpeedSpread { get; init; } = 1;

    /// <summary>The share of tasks a simulated device takes and never reports on, as a device that goes offline does; drawn from the seed, the device and the round.</summary>
    [Id(8)] public double DropoutRate { get; init; }
}
