using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using Orleans.Concurrency;

namespace FLOps.Abstractions.Edge;

/// <summary>
/// The aggregator of one edge cluster for one cycle of a hierarchical project, keyed
/// <c>{projectId}/{cycle}@{cluster}</c> (a retried cycle <c>{projectId}/{cycle}.{attempt}@{cluster}</c>)
/// and placed only on that cluster's silos. It runs the cycle's inner rounds among the cluster's
/// devices (each a round grain of the same cluster) and sends the cloud one weighted partial
/// result: the cluster model and its sample count. Its inner rounds report to it through
/// <see cref="IRoundParent.OnRoundEnded"/>.
/// </summary>
[Alias("flops.IEdgeAggregatorGrain")]
public interface IEdgeAggregatorGrain : IRoundParent
{
    /// <summary>Starts the cycle, or resumes it (its current inner round), or reports its result again; harmless to repeat.</summary>
    [Alias("Start")]
    Task Start(EdgeCyclePlan plan);

    /// <summary>Stops the cycle (the project was cancelled or the cloud dropped the cluster).</summary>
    [Alias("Abort")]
    Task Abort(string reason);

    public static string KeyFor(string projectId, int cycle, int attempt, string cluster) =>
        EdgeKeys.InCluster(attempt == 0 ? $"{projectId}/{cycle}" : $"{projectId}/{cycle}.{attempt}", cluster);

    /// <summary>Inner round <paramref name="innerRound"/> of an edge aggregator: <c>{projectId}/{cycle}/{inner}@{cluster}</c>.</summary>
    public static string InnerRoundKey(string aggregatorKey, int innerRound)
    {
        var cluster = EdgeKeys.ClusterOf(aggregatorKey) ?? throw new ArgumentException($"'{aggregatorKey}' names no cluster", nameof(aggregatorKey));
        return EdgeKeys.InCluster($"{aggregatorKey[..^(cluster.Length + 1)]}/{innerRound}", cluster);
    }
}

/// <summary>What an edge aggregator needs from the cloud for one cycle.</summary>
[GenerateSerializer, Immutable, Alias("flops.EdgeCyclePlan")]
public sealed record EdgeCyclePlan
{
    [Id(0)] public string ProjectId { get; init; } = "";

    [Id(1)] public int Cycle { get; init; }

    [Id(2)] public int Attempt { get; init; }

    [Id(3)] public string Cluster { get; init; } = "";

    [Id(4)] public ProjectSpec Spec { get; init; } = new();

    /// <summary>The cluster's devices that may be selected.</summary>
    [Id(5)] public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>The global model the cycle starts from.</summary>
    [Id(6)] public ModelRef GlobalModel { get; init; } = ModelRef.None;

    /// <summary>The project's seed: inner round r of cycle c uses the seed of flat round (c − 1)·rounds + r.</summary>
    [Id(7)] public int ProjectSeed { get; init; }

    /// <summary>The root aggregator (cloud) that gets the result.</summary>
    [Id(8)] public string RootKey { get; init; } = "";

    /// <summary>The project's tenant, passed to the inner rounds (their tasks go only to its devices).</summary>
    [Id(9)] public string Tenant { get; init; } = "";

    /// <summary>The tensors of the model's parameter vector, in its order, for the inner rounds' tasks.</summary>
    [Id(10)] public IReadOnlyList<TensorShape> Layout { get; init; } = [];

    /// <summary>A simulated project's devices of this cluster (then <see cref="Devices"/> is empty).</summary>
    [Id(11)] public SimulatedFleet? Fleet { get; init; }

    /// <summary>How many devices the cluster has to select from.</summary>
    public int AvailableCount => Fleet?.Available ?? Devices.Count;
}

/// <summary>An edge cluster's result for one cycle, sent to the cloud once.</summary>
[GenerateSerializer, Immutable, Alias("flops.ClusterOutcome")]
public sealed record ClusterOutcome
{
    [Id(0)] public string Cluster { get; init; } = "";

    [Id(1)] public int Cycle { get; init; }

    [Id(2)] public int Attempt { get; init; }

    [Id(3)] public bool Succeeded { get; init; }

    /// <summary>The cluster model after the inner rounds: the only parameters that leave the edge.</summary>
    [Id(4)] public Immutable<float[]> Parameters { get; init; }

    /// <summary>Samples behind the cluster model (of its last inner round): its weight in the cloud's mean.</summary>
    [Id(5)] public long SampleCount { get; init; }

    [Id(6)] public IReadOnlyList<RoundSummary> InnerRounds { get; init; } = [];

    [Id(7)] public string? FailureReason { get; init; }
}

/// <summary>
/// The cloud's aggregator of one cycle of a hierarchical project, keyed like a round
/// (<c>{projectId}/{cycle}</c>, retries <c>{projectId}/{cycle}.{attempt}</c>) and placed on cloud
/// silos: it starts an edge aggregator per cluster, drops a cluster whose silos are gone, and
/// combines the cluster models weighted by their sample counts.
/// </summary>
[Alias("flops.IRootAggregatorGrain")]
public interface IRootAggregatorGrain : IGrainWithStringKey
{
    /// <summary>Starts the cycle; calling it again checks on the clusters (drops those without a live silo) or re-reports the outcome.</summary>
    [Alias("Start")]
    Task Start(Rounds.RoundPlan plan);

    [Alias("OnClusterEnded"), OneWay]
    Task OnClusterEnded(ClusterOutcome outcome);

    [Alias("Abort")]
    Task Abort(string reason);
}
