using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Projects;

[GenerateSerializer, Alias("flops.ProjectGrainState")]
public sealed class ProjectGrainState
{
    [Id(0)] public ProjectSpec? Spec { get; set; }

    [Id(1)] public ProjectState State { get; set; } = ProjectState.Pending;

    [Id(2)] public int CurrentRound { get; set; }

    [Id(3)] public List<RoundSummary> Rounds { get; set; } = [];

    [Id(4)] public ModelRef Model { get; set; } = ModelRef.None;

    [Id(5)] public string? Reason { get; set; }

    [Id(6)] public DateTimeOffset? CreatedAt { get; set; }

    [Id(7)] public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>
    /// Written by projects stored before simulated devices were a count in the spec (the ids it
    /// held follow from the spec); emptied when such a project is activated, never written since.
    /// </summary>
    [Id(8)] public List<string> SimulatedDevices { get; set; } = [];

    [Id(9)] public long BytesToCloud { get; set; }

    /// <summary>When the current round began waiting for enough available devices.</summary>
    [Id(10)] public DateTimeOffset? WaitingForDevicesSince { get; set; }

    /// <summary>Which attempt at <see cref="CurrentRound"/> runs (0 unless retried).</summary>
    [Id(11)] public int CurrentAttempt { get; set; }

    [Id(12)] public List<RoundAttemptFailure> FailedAttempts { get; set; } = [];

    /// <summary>The strategy's state after the last completed round, handed to the next round's plan.</summary>
    [Id(13)] public StrategyStateRef? StrategyState { get; set; }

    /// <summary>
    /// Written by projects stored before simulated devices configured themselves from their first
    /// task; emptied when such a project is activated, never written since.
    /// </summary>
    [Id(14)] public List<string> UnconfiguredDevices { get; set; } = [];

    /// <summary>The tenant that submitted the project: its rounds pick only that tenant's registered devices.</summary>
    [Id(15)] public string Tenant { get; set; } = "";

    /// <summary>The tensors of the model's parameter vector, in its order, as its tasks tell learners.</summary>
    [Id(16)] public List<TensorShape> Layout { get; set; } = [];
}
