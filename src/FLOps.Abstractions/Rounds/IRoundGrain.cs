using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;

namespace FLOps.Abstractions.Rounds;

/// <summary>
/// One training round of one project, keyed <c>{projectId}/{round}</c>: selects participants,
/// hands out the task, collects and validates updates, aggregates them with the project's
/// strategy, evaluates the new global model and reports the outcome to the project.
/// </summary>
[Alias("flops.IRoundGrain")]
public interface IRoundGrain : IGrainWithStringKey
{
    /// <summary>Starts the round; calling it again with the same plan is harmless.</summary>
    [Alias("Start")]
    Task Start(RoundPlan plan);

    /// <summary>A participant's trained parameters. Refused (with a reason) if the device was not selected, already reported, or the round closed.</summary>
    [Alias("SubmitUpdate")]
    Task<UpdateReceipt> SubmitUpdate(DeviceUpdate update);

    /// <summary>A participant could not train; the round goes on without it.</summary>
    [Alias("ReportFailure")]
    Task ReportFailure(string deviceId, string reason);

    /// <summary>Closes the round without aggregating; later updates are refused.</summary>
    [Alias("Abort")]
    Task Abort(string reason);

    /// <summary>How many updates the round refused, including those that came after it closed, and the first reasons.</summary>
    [Alias("GetRefusals")]
    Task<RoundRefusals> GetRefusals();

    /// <summary>
    /// The devices whose updates the round aggregated (so far, while it is open), in ordinal
    /// order. Only the round keeps them; its summary in the project's history holds the count.
    /// </summary>
    [Alias("GetParticipantIds")]
    Task<IReadOnlyList<string>> GetParticipantIds();

    /// <summary>The grain of a round number's first attempt is <c>{projectId}/{round}</c>, of a retry <c>{projectId}/{round}.{attempt}</c>.</summary>
    public static string KeyFor(string projectId, int round, int attempt = 0) =>
        attempt == 0 ? $"{projectId}/{round}" : $"{projectId}/{round}.{attempt}";
}

[GenerateSerializer, Immutable, Alias("flops.RoundRefusals")]
public sealed record RoundRefusals([property: Id(0)] int Count, [property: Id(1)] int AfterClose, [property: Id(2)] IReadOnlyList<string> Reasons);

/// <summary>Everything a round needs from its project.</summary>
[GenerateSerializer, Immutable, Alias("flops.RoundPlan")]
public sealed record RoundPlan
{
    [Id(0)] public string ProjectId { get; init; } = "";

    [Id(1)] public int Round { get; init; }

    [Id(2)] public ProjectSpec Spec { get; init; } = new();

    /// <summary>Devices that may be selected; the round picks its participants from these.</summary>
    [Id(3)] public IReadOnlyList<string> AvailableDevices { get; init; } = [];

    [Id(4)] public ModelRef GlobalModel { get; init; } = ModelRef.None;

    /// <summary>The project's tenant: a round hands its task only to that tenant's devices.</summary>
    [Id(9)] public string Tenant { get; init; } = "";

    /// <summary>Seeds participant selection and local shuffling.</summary>
    [Id(5)] public int Seed { get; init; }

    /// <summary>The strategy's state after the previous round; <c>null</c> in round 1 or for stateless strategies.</summary>
    [Id(6)] public StrategyStateRef? StrategyState { get; init; }

    /// <summary>0 for the first attempt at this round number; retries count up.</summary>
    [Id(7)] public int Attempt { get; init; }

    /// <summary>Set for an inner round of a hierarchical cycle (its journal and metrics are the edge aggregator's).</summary>
    [Id(8)] public EdgeRoundContext? Edge { get; init; }

    /// <summary>
    /// The <see cref="IRoundParent"/> that hears the outcome (the project, or the edge aggregator
    /// of an inner round). <c>null</c> in plans stored before it existed: see <see cref="ParentOf"/>.
    /// </summary>
    [Id(13)] public GrainId? Parent { get; init; }

    /// <summary>
    /// Who hears how the round ended: <see cref="Parent"/>, or for a plan stored without one, the
    /// edge aggregator it names or else its project.
    /// </summary>
    public static IRoundParent ParentOf(RoundPlan plan, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(grains);
        return plan.Parent is { } parent ? grains.GetGrain<IRoundParent>(parent)
            : plan.Edge is { } edge ? grains.GetGrain<Edge.IEdgeAggregatorGrain>(edge.AggregatorKey)
            : grains.GetGrain<IProjectGrain>(plan.ProjectId);
    }

    /// <summary>The tensors of the model's parameter vector, in its order, for the tasks.</summary>
    [Id(10)] public IReadOnlyList<TensorShape> Layout { get; init; } = [];

    /// <summary>
    /// A simulated project's devices, as a count the round samples indexes from (then
    /// <see cref="AvailableDevices"/> is empty); <c>null</c> for registered devices.
    /// </summary>
    [Id(11)] public SimulatedFleet? Fleet { get; init; }

    /// <summary>
    /// Registered devices: the key of the tenant's device directory for the data tag, which the
    /// round samples from (then <see cref="AvailableDevices"/> is empty); <c>null</c> otherwise.
    /// </summary>
    [Id(12)] public string? DeviceDirectory { get; init; }
}

/// <summary>Which edge aggregator an inner round belongs to.</summary>
[GenerateSerializer, Immutable, Alias("flops.EdgeRoundContext")]
public sealed record EdgeRoundContext
{
    [Id(0)] public string AggregatorKey { get; init; } = "";

    [Id(1)] public string Cluster { get; init; } = "";

    [Id(2)] public int Cycle { get; init; }
}

/// <summary>The answer to an update: accepted, or refused with a kind (which the gateway maps to a status) and a reason for people.</summary>
[GenerateSerializer, Immutable, Alias("flops.UpdateReceipt")]
public sealed record UpdateReceipt([property: Id(0)] bool Accepted, [property: Id(1)] string? Reason, [property: Id(2)] UpdateRefusal Refusal = UpdateRefusal.None)
{
    public static UpdateReceipt Accept { get; } = new(true, null);

    public static UpdateReceipt Refuse(UpdateRefusal refusal, string reason) => new(false, reason, refusal);
}
