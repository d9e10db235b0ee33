using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Placement;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FLOps.Grains.Edge;

[GenerateSerializer, Alias("flops.EdgeCycleStatus")]
public enum EdgeCycleStatus
{
    NotStarted,
    Running,
    Done,
    Failed,
    Aborted,
}

[GenerateSerializer, Alias("flops.EdgeAggregatorState")]
public sealed class EdgeAggregatorState
{
    [Id(0)] public EdgeCyclePlan? Plan { get; set; }

    [Id(1)] public EdgeCycleStatus Status { get; set; }

    /// <summary>The inner round in progress (1-based), or the last one once done.</summary>
    [Id(2)] public int InnerRound { get; set; }

    /// <summary>The cluster model so far: the cycle's global model, then each inner round's result.</summary>
    [Id(3)] public ModelRef Model { get; set; } = ModelRef.None;

    [Id(4)] public StrategyStateRef? StrategyState { get; set; }

    [Id(5)] public List<RoundSummary> InnerRounds { get; set; } = [];

    [Id(6)] public string? FailureReason { get; set; }
}

/// <summary>
/// Runs one cycle in one edge cluster: inner rounds (round grains of the same cluster, so device
/// updates never leave it), each starting from the previous one's model, then one message to the
/// cloud with the cluster model and its sample count. Its plan, inner round and model are grain
/// state: an activation on another silo of the cluster resumes the current inner round (which
/// itself resumes from its journal); without any, the cloud drops the cluster for the cycle.
/// </summary>
[EdgePlacement(EdgePlacementScope.ClusterOfKey)]
public sealed class EdgeAggregatorGrain(
    [PersistentState(FlopsStorage.EdgeAggregatorState, FlopsStorage.ProviderName)] IPersistentState<EdgeAggregatorState> state,
    IModelStore models,
    ILogger<EdgeAggregatorGrain> logger) : Grain, IEdgeAggregatorGrain
{
    private EdgeAggregatorState S => state.State;

    private string Key => this.GetPrimaryKeyString();

    public async Task Start(EdgeCyclePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        switch (S.Status)
        {
            case EdgeCycleStatus.NotStarted:
                S.Plan = plan;
                S.Status = EdgeCycleStatus.Running;
                S.InnerRound = 1;
                S.Model = plan.GlobalModel;
                await state.WriteStateAsync();
                logger.LogInformation("Edge aggregator {Key} starts cycle {Cycle} with {Devices} devices", Key, plan.Cycle, plan.AvailableCount);
                await StartInnerRound();
                return;
            case EdgeCycleStatus.Running:
                // Asked again by the cloud: make sure the inner round runs (it resumes if its silo died).
                await StartInnerRound();
                return;
            case EdgeCycleStatus.Done or EdgeCycleStatus.Failed:
                await Report();
                return;
            default:
                return;
        }
    }

    /// <summary>Called by the cluster's inner round grain when it ended.</summary>
    public async Task OnRoundEnded(RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (S.Status != EdgeCycleStatus.Running || outcome.Round != S.InnerRound)
        {
            return;
        }

        var plan = S.Plan!;
        if (!outcome.Succeeded || outcome.Summary is null)
        {
            S.Status = EdgeCycleStatus.Failed;
            S.FailureReason = $"inner round {outcome.Round}: {outcome.FailureReason ?? "failed"}";
        }
        else
        {
            S.InnerRounds.Add(outcome.Summary);
            S.Model = outcome.Summary.Model;
            S.StrategyState = outcome.Summary.StrategyState;
            if (S.InnerRound < plan.Spec.Training.Rounds)
            {
                S.InnerRound++;
                await state.WriteStateAsync();
                await StartInnerRound();
                return;
            }

            S.Status = EdgeCycleStatus.Done;
        }

        await state.WriteStateAsync();
        logger.LogInformation("Edge aggregator {Key} {Status} after {InnerRounds} inner rounds", Key, S.Status, S.InnerRounds.Count);
        await Report();
    }

    public async Task Abort(string reason)
    {
        if (S.Status is EdgeCycleStatus.NotStarted or EdgeCycleStatus.Running)
        {
            var running = S.Status == EdgeCycleStatus.Running;
            S.Status = EdgeCycleStatus.Aborted;
            S.FailureReason = reason;
            await state.WriteStateAsync();
            if (running)
            {
                await InnerRound(S.InnerRound).Abort(reason);
            }
        }
    }

    private Task StartInnerRound()
    {
        var plan = S.Plan!;
        var flatRound = ((plan.Cycle - 1) * plan.Spec.Training.Rounds) + S.InnerRound;
        return InnerRound(S.InnerRound).Start(new RoundPlan
        {
            ProjectId = plan.ProjectId,
            Tenant = plan.Tenant,
            Round = S.InnerRound,
            Spec = plan.Spec,
            AvailableDevices = plan.Devices,
            Fleet = plan.Fleet,
            GlobalModel = S.Model,

            // The seed of the flat round at the same position.
            Seed = ProjectSeeds.OfRound(plan.ProjectSeed, flatRound),
            StrategyState = S.StrategyState,
            Edge = new EdgeRoundContext { AggregatorKey = Key, Cluster = plan.Cluster, Cycle = plan.Cycle },
            Parent = this.GetGrainId(),
            Layout = plan.Layout,
        });
    }

    /// <summary>One-way to the cloud; it asks again (through <see cref="Start"/>) until it has it.</summary>
    private async Task Report()
    {
        var plan = S.Plan!;
        var outcome = new ClusterOutcome
        {
            Cluster = plan.Cluster,
            Cycle = plan.Cycle,
            Attempt = plan.Attempt,
            Succeeded = S.Status == EdgeCycleStatus.Done,
            InnerRounds = [.. S.InnerRounds],
            FailureReason = S.FailureReason,
        };
        if (S.Status == EdgeCycleStatus.Done)
        {
            outcome = outcome with
            {
                Parameters = new Immutable<float[]>(await models.GetAsync(S.Model)),
                SampleCount = S.InnerRounds[^1].SampleCount,
            };
        }

        await GrainFactory.GetGrain<IRootAggregatorGrain>(plan.RootKey).OnClusterEnded(outcome);
    }

    private IRoundGrain InnerRound(int innerRound) => GrainFactory.GetGrain<IRoundGrain>(IEdgeAggregatorGrain.InnerRoundKey(Key, innerRound));
}
