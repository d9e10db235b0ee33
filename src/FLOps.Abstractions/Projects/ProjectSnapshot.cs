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

    /// <summary>Devices left out of the round and why (failed, timed out).</summary>
    [Id(8)] public IReadOnlyList<DeviceFailure> Failures { get; init; } = [];

    /// <summary>The global model this round produced.</summary>
    [Id(9)] public ModelRef Model { get; init; } = ModelRef.None;

    /// <summary>The global model this round started from.</summary>
    [Id(10)] public ModelRef BaseModel { get; init; } = ModelRef.None;

    /// <summary>Devices whose updates were aggregated, in ordinal order.</summary>
    [Id(11)] public IReadOnlyList<string> ParticipantIds { get; init; } = [];

    /// <summary>How often the round was resumed from its journal on a new activation (after a silo died).</summary>
    [Id(12)] public int Resumptions { get; init; }
}

[GenerateSerializer, Immutable, Alias("flops.DeviceFailure")]
public sealed record DeviceFailure([property: Id(0)] string DeviceId, [property: Id(1)] string Reason);

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
}
