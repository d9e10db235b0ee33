using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;

namespace FLOps.Grains.Rounds;

[GenerateSerializer, Alias("flops.RoundStatus")]
public enum RoundStatus
{
    NotStarted,
    Open,
    Closed,
    Failed,
    Aborted,
}

[GenerateSerializer, Alias("flops.RoundGrainState")]
public sealed class RoundGrainState
{
    [Id(0)] public RoundPlan? Plan { get; set; }

    [Id(1)] public RoundStatus Status { get; set; }

    [Id(2)] public List<string> Participants { get; set; } = [];

    [Id(4)] public List<DeviceFailure> Failures { get; set; } = [];

    [Id(5)] public DateTimeOffset? OpenedAt { get; set; }

    [Id(6)] public DateTimeOffset? Deadline { get; set; }

    [Id(7)] public RoundSummary? Summary { get; set; }

    [Id(8)] public string? FailureReason { get; set; }

    /// <summary>Updates refused because they came too late, twice, or from a device not selected.</summary>
    [Id(9)] public int Refused { get; set; }

    [Id(11)] public int Resumptions { get; set; }

    /// <summary>Updates that failed validation (shape, NaN or infinity, norm bound): the device and why.</summary>
    [Id(12)] public List<DeviceFailure> Rejections { get; set; } = [];

    /// <summary>Of <see cref="Refused"/>, those that came after the round closed or failed.</summary>
    [Id(13)] public int RefusedAfterClose { get; set; }

    /// <summary>The first refusal reasons (at most <see cref="RoundLedger.MaxRecordedRefusals"/>).</summary>
    [Id(14)] public List<string> RefusalReasons { get; set; } = [];

    /// <summary>
    /// The devices whose updates a closed round aggregated, in ordinal order: kept here, with the
    /// round, rather than in every summary of the project's history.
    /// </summary>
    [Id(15)] public List<string> Aggregated { get; set; } = [];
}
