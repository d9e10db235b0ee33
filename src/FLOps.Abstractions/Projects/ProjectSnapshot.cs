using FLOps.Abstractions.Models;

namespace FLOps.Abstractions.Projects;

/// <summary>One finished round as the project records it.</summary>
[GenerateSerializer, Immutable, Alias("flops.RoundSummary")]
public sealed record RoundSummary
{
    [Id(0)] public int Round { get; init; }

    /// <summary>Devices whose updates were aggregated.</summary>
    [Id(1)] public int Participants { get; init; }

    /// <summary>Devices asked to train.</summary>
    [Id(2)] public int Selected { get; init; }

    /// <summary>Log-loss of the new global model on the held-out split; <c>null</c> when the data tag has none.</summary>
    [Id(3)] public double? Loss { get; init; }

    /// <summary>Accuracy of the new global model on the held-out split; <c>null</c> when the data tag has none.</summary>
    [Id(4)] public double? Accuracy { get; init; }

    /// <summary>Wall time of the round, from hand-out to recorded result.</summary>
    [Id(5)] public double Seconds { get; init; }

    /// <summary>Mean local training loss reported by the participants.</summary>
    [Id(6)] public double TrainingLoss { get; init; }

    /// <summary>Bytes of accepted updates that reached the aggregator.</summary>
    [Id(7)] public long UpdateBytes { get; init; }

    /// <summary>
    /// Devices left out of the round and why (failed, timed out): the first
    /// <see cref="MaxListedDevices"/> of <see cref="FailureCount"/>, so that a project's history
    /// does not grow with its devices. (Summaries stored before the cap list every one.)
    /// </summary>
    [Id(8)] public IReadOnlyList<DeviceFailure> Failures { get; init; } = [];

    /// <summary>The global model this round produced.</summary>
    [Id(9)] public ModelRef Model { get; init; } = ModelRef.None;

    /// <summary>The global model this round started from.</summary>
    [Id(10)] public ModelRef BaseModel { get; init; } = ModelRef.None;

    /// <summary>
    /// Left empty: which devices were aggregated is the round grain's to keep
    /// (<c>IRoundGrain.GetParticipantIds</c>), not every summary's. Summaries stored before held them here.
    /// </summary>
    [Id(11)] public IReadOnlyList<string> ParticipantIds { get; init; } = [];

    /// <summary>How often the round was resumed from its journal on a new activation (after a silo died).</summary>
    [Id(12)] public int Resumptions { get; init; }

    /// <summary>Updates refused before the round closed (too late for an earlier attempt, twice, not selected, malformed).</summary>
    [Id(13)] public int RefusedUpdates { get; init; }

    /// <summary>
    /// Updates that failed validation (shape, NaN or infinity, norm bound), by device, with the
    /// reason: the first <see cref="MaxListedDevices"/> of <see cref="RejectionCount"/>.
    /// </summary>
    [Id(14)] public IReadOnlyList<DeviceFailure> Rejections { get; init; } = [];

    /// <summary>Differential privacy: the clipping bound used this round; <c>null</c> without privacy.</summary>
    [Id(15)] public double? ClippingNorm { get; init; }

    /// <summary>Differential privacy: the noise multiplier used this round; <c>null</c> without privacy.</summary>
    [Id(16)] public double? NoiseMultiplier { get; init; }

    /// <summary>What a server optimiser carries into the next round; <c>null</c> for stateless strategies.</summary>
    [Id(17)] public StrategyStateRef? StrategyState { get; init; }

    /// <summary>0 for the first attempt at this round number, then 1, 2, … for retries.</summary>
    [Id(18)] public int Attempt { get; init; }

    /// <summary>Reasons of the first refused updates (at most 20).</summary>
    [Id(19)] public IReadOnlyList<string> RefusalReasons { get; init; } = [];

    /// <summary>Samples behind the aggregated updates (the round's weight when it is an edge cluster's inner round).</summary>
    [Id(20)] public long SampleCount { get; init; }

    /// <summary>Hierarchical mode: this summary is a cycle; each edge cluster's part in it, included or dropped with the reason.</summary>
    [Id(21)] public IReadOnlyList<ClusterSummary> Clusters { get; init; } = [];

    /// <summary>Failed devices beyond those listed in <see cref="Failures"/>.</summary>
    [Id(22)] public int UnlistedFailures { get; init; }

    /// <summary>Rejected devices beyond those listed in <see cref="Rejections"/>.</summary>
    [Id(23)] public int UnlistedRejections { get; init; }

    /// <summary>How many <see cref="Failures"/> and <see cref="Rejections"/> list at most: enough to see why.</summary>
    public const int MaxListedDevices = 20;

    /// <summary>Devices that failed or timed out, listed or not.</summary>
    public int FailureCount => Failures.Count + UnlistedFailures;

    /// <summary>Devices whose update was rejected, listed or not.</summary>
    public int RejectionCount => Rejections.Count + UnlistedRejections;
}

/// <summary>One edge cluster in one cycle of a hierarchical project.</summary>
[GenerateSerializer, Immutable, Alias("flops.ClusterSummary")]
public sealed record ClusterSummary
{
    [Id(0)] public string Cluster { get; init; } = "";

    /// <summary>Whether the cluster model went into the cycle's global model.</summary>
    [Id(1)] public bool Included { get; init; }

    /// <summary>Why the cluster was dropped from the cycle; <c>null</c> when included.</summary>
    [Id(2)] public string? Reason { get; init; }

    /// <summary>The cluster model's weight: samples of its last inner round.</summary>
    [Id(3)] public long SampleCount { get; init; }

    /// <summary>Bytes the cluster sent to the cloud this cycle (its model).</summary>
    [Id(4)] public long BytesToCloud { get; init; }

    /// <summary>The cluster's inner rounds, numbered 1 to <c>training.rounds</c> within the cycle.</summary>
    [Id(5)] public IReadOnlyList<RoundSummary> InnerRounds { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("flops.DeviceFailure")]
public sealed record DeviceFailure([property: Id(0)] string DeviceId, [property: Id(1)] string Reason);

/// <summary>
/// A strategy's state between rounds: each vector (momentum, moments) is a model-store version,
/// the scalars travel as they are.
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.StrategyStateRef")]
public sealed record StrategyStateRef
{
    [Id(0)] public IReadOnlyDictionary<string, ModelRef> Vectors { get; init; } = new Dictionary<string, ModelRef>();

    [Id(1)] public IReadOnlyDictionary<string, double> Scalars { get; init; } = new Dictionary<string, double>();
}

/// <summary>An attempt at a round that failed and was retried (or ended the project).</summary>
[GenerateSerializer, Immutable, Alias("flops.RoundAttemptFailure")]
public sealed record RoundAttemptFailure([property: Id(0)] int Round, [property: Id(1)] int Attempt, [property: Id(2)] string Reason);

/// <summary>A project as its owner sees it.</summary>
[GenerateSerializer, Immutable, Alias("flops.ProjectSnapshot")]
public sealed record ProjectSnapshot
{
    [Id(0)] public string Id { get; init; } = "";

    [Id(1)] public string Name { get; init; } = "";

    [Id(2)] public ProjectState State { get; init; }

    /// <summary>The round in progress, or the last one once the project ended.</summary>
    [Id(3)] public int CurrentRound { get; init; }

    [Id(4)] public int TotalRounds { get; init; }

    [Id(5)] public IReadOnlyList<RoundSummary> Rounds { get; init; } = [];

    /// <summary>Why the project failed or was cancelled.</summary>
    [Id(6)] public string? Reason { get; init; }

    [Id(7)] public ProjectSpec? Spec { get; init; }

    [Id(8)] public DateTimeOffset? CreatedAt { get; init; }

    [Id(9)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The current global model; <see cref="ModelRef.None"/> before training.</summary>
    [Id(10)] public ModelRef Model { get; init; } = ModelRef.None;

    /// <summary>Update bytes received by cloud-side aggregation, summed over the rounds.</summary>
    [Id(11)] public long BytesToCloud { get; init; }

    /// <summary>Round attempts that failed (each retried under <c>onRoundFailure: retry</c>, the last one possibly ending the project).</summary>
    [Id(12)] public IReadOnlyList<RoundAttemptFailure> FailedAttempts { get; init; } = [];
}
