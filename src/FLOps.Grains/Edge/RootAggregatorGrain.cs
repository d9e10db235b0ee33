using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Placement;
using FLOps.Grains.Projects;
using FLOps.Grains.Rounds;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Aggregation;
using Microsoft.Extensions.Logging;

namespace FLOps.Grains.Edge;

[GenerateSerializer, Alias("flops.ClusterStatus")]
public enum ClusterStatus
{
    Running,
    Reported,
    Dropped,
}

[GenerateSerializer, Alias("flops.ClusterEntry")]
public sealed class ClusterEntry
{
    [Id(0)] public List<string> Devices { get; set; } = [];

    [Id(1)] public ClusterStatus Status { get; set; }

    [Id(2)] public string? Reason { get; set; }

    /// <summary>The cluster model as received, in the model store.</summary>
    [Id(3)] public ModelRef Model { get; set; } = ModelRef.None;

    [Id(4)] public long SampleCount { get; set; }

    [Id(5)] public long BytesToCloud { get; set; }

    [Id(6)] public List<RoundSummary> InnerRounds { get; set; } = [];
}

[GenerateSerializer, Alias("flops.RootAggregatorState")]
public sealed class RootAggregatorState
{
    [Id(0)] public RoundPlan? Plan { get; set; }

    [Id(1)] public RoundStatus Status { get; set; }

    [Id(2)] public SortedDictionary<string, ClusterEntry> Clusters { get; set; } = new(StringComparer.Ordinal);

    [Id(3)] public DateTimeOffset? OpenedAt { get; set; }

    [Id(4)] public DateTimeOffset? Deadline { get; set; }

    [Id(5)] public RoundSummary? Summary { get; set; }

    [Id(6)] public string? FailureReason { get; set; }
}

/// <summary>
/// One cycle of a hierarchical project, on a cloud silo. It hands each edge cluster its devices
/// and the global model, receives one cluster model per cluster, and combines them weighted by
/// their sample counts (<see cref="ClusterAggregation"/>). A cluster whose silos are all gone is
/// dropped for the cycle with the reason, noticed when the cycle starts and whenever the project's
/// tick asks again; the cycle is aggregated if at least <c>minFitClusters</c> clusters reported.
/// </summary>
[EdgePlacement(EdgePlacementScope.Cloud)]
public sealed class RootAggregatorGrain(
    [PersistentState(FlopsStorage.RootAggregatorState, FlopsStorage.ProviderName)] IPersistentState<RootAggregatorState> state,
    IModelStore models,
    IEdgeTopology topology,
    HeldOutEvaluator evaluator,
    TimeProvider time,
    ILogger<RootAggregatorGrain> logger) : Grain, IRootAggregatorGrain
{
    private IGrainTimer? _deadlineTimer;
    private bool _checking;

    private RootAggregatorState S => state.State;

    private string Key => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Status == RoundStatus.Open)
        {
            ArmDeadline();
        }

        return Task.CompletedTask;
    }

    public async Task Start(RoundPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!await RoundLifecycle.ShouldBegin(S.Status, ReportOutcome, CheckClusters))
        {
            return;
        }

        var training = plan.Spec.Training;
        var now = time.GetUtcNow();
        S.Plan = plan;
        S.Status = RoundStatus.Open;
        S.OpenedAt = now;

        // Every inner round may take its whole timeout, plus one for the hand-over.
        S.Deadline = now + TimeSpan.FromSeconds(training.RoundTimeoutSeconds * (training.Rounds + 1.0));
        if (plan.Fleet is { } fleet)
        {
            // Simulated devices: each cluster's are known by the fleet, so none are listed here.
            foreach (var cluster in fleet.Clusters.Take(fleet.Count))
            {
                S.Clusters[cluster] = new ClusterEntry();
            }
        }

        foreach (var group in plan.AvailableDevices.GroupBy(ClusterOfDevice, StringComparer.Ordinal))
        {
            S.Clusters[group.Key] = new ClusterEntry { Devices = [.. group] };
        }

        await state.WriteStateAsync();
        ArmDeadline();
        logger.LogInformation("Cycle {Cycle} of {ProjectId} opened over clusters {Clusters}", plan.Round, plan.ProjectId, string.Join(", ", S.Clusters.Keys));
        CheckClusters();
    }

    public async Task OnClusterEnded(ClusterOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (S.Status != RoundStatus.Open || !S.Clusters.TryGetValue(outcome.Cluster, out var entry) || entry.Status != ClusterStatus.Running
            || outcome.Cycle != S.Plan!.Round || outcome.Attempt != S.Plan.Attempt)
        {
            return;
        }

        entry.InnerRounds = [.. outcome.InnerRounds];
        if (!outcome.Succeeded || outcome.Parameters.Value is not { } parameters || parameters.Length != S.Plan.GlobalModel.ParameterCount || outcome.SampleCount <= 0)
        {
            await Drop(outcome.Cluster, outcome.FailureReason ?? "the cluster sent no usable model");
            return;
        }

        var bytes = (long)parameters.Length * sizeof(float);
        entry.Model = await models.PutAsync(parameters);
        entry.SampleCount = outcome.SampleCount;
        entry.BytesToCloud = bytes;
        entry.Status = ClusterStatus.Reported;
        await state.WriteStateAsync();
        FlopsMetrics.EdgeSentToCloud(S.Plan.ProjectId, outcome.Cluster, bytes);
        logger.LogInformation("Cycle {Cycle} of {ProjectId}: cluster {Cluster} reported ({Samples} samples)", S.Plan.Round, S.Plan.ProjectId, outcome.Cluster, outcome.SampleCount);
        await CloseIfEveryClusterEnded();
    }

    public async Task Abort(string reason)
    {
        if (S.Status is RoundStatus.Open or RoundStatus.NotStarted)
        {
            _deadlineTimer?.Dispose();
            var running = S.Clusters.Where(c => c.Value.Status == ClusterStatus.Running).Select(c => c.Key).ToList();
            S.Status = RoundStatus.Aborted;
            S.FailureReason = reason;
            await state.WriteStateAsync();
            foreach (var cluster in running.Where(topology.IsAvailable))
            {
                try
                {
                    await EdgeAggregator(cluster).Abort(reason);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogInformation("Cycle {Key}: could not abort cluster {Cluster}: {Error}", Key, cluster, e.Message);
                }
            }
        }
    }

    /// <summary>
    /// Starts (or re-asks) each running cluster's edge aggregator outside this turn, so a slow or
    /// dead silo does not hold up the cycle; a cluster without a live silo is dropped.
    /// </summary>
    private void CheckClusters()
    {
        if (_checking)
        {
            return;
        }

        _checking = true;
        this.RegisterGrainTimer(
            static async (grain, _) =>
            {
                try
                {
                    await grain.StartEdges();
                }
                finally
                {
                    grain._checking = false;
                }
            },
            this,
            new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task StartEdges()
    {
        var plan = S.Plan!;
        var running = S.Clusters.Where(c => c.Value.Status == ClusterStatus.Running).ToList();
        var calls = running.Select(async c =>
        {
            if (!topology.IsAvailable(c.Key))
            {
                return (c.Key, Error: (string?)$"no live silo of edge cluster '{c.Key}'");
            }

            try
            {
                await EdgeAggregator(c.Key).Start(new EdgeCyclePlan
                {
                    ProjectId = plan.ProjectId,
                    Tenant = plan.Tenant,
                    Cycle = plan.Round,
                    Attempt = plan.Attempt,
                    Cluster = c.Key,
                    Spec = plan.Spec,
                    Devices = c.Value.Devices,
                    Fleet = plan.Fleet?.InCluster(c.Key),
                    GlobalModel = plan.GlobalModel,
                    ProjectSeed = ProjectSeeds.Of(plan.Spec, plan.ProjectId),
                    RootKey = Key,
                    Layout = plan.Layout,
                });
                return (c.Key, Error: null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Unreachable because its silo just died, or unplaceable: only the second is final.
                logger.LogInformation("Cycle {Key}: edge cluster {Cluster} not reached: {Error}", Key, c.Key, e.Message);
                return (c.Key, Error: topology.IsAvailable(c.Key) ? null : $"no live silo of edge cluster '{c.Key}' (lost during the cycle: {e.GetBaseException().GetType().Name})");
            }
        }).ToList();

        foreach (var (cluster, error) in await Task.WhenAll(calls))
        {
            if (error is not null)
            {
                await Drop(cluster, error);
            }
        }
    }

    private async Task Drop(string cluster, string reason)
    {
        if (S.Status != RoundStatus.Open || S.Clusters[cluster].Status != ClusterStatus.Running)
        {
            return;
        }

        S.Clusters[cluster].Status = ClusterStatus.Dropped;
        S.Clusters[cluster].Reason = reason;
        await state.WriteStateAsync();
        logger.LogWarning("Cycle {Cycle} of {ProjectId}: cluster {Cluster} dropped: {Reason}", S.Plan!.Round, S.Plan.ProjectId, cluster, reason);
        await CloseIfEveryClusterEnded();
    }

    private async Task CloseIfEveryClusterEnded()
    {
        if (S.Status == RoundStatus.Open && S.Clusters.Values.All(c => c.Status != ClusterStatus.Running))
        {
            await this.ReloadIfFails(Close);
        }
    }

    private void ArmDeadline() => _deadlineTimer = this.At(S.Deadline!.Value, time, static grain => grain.Close());

    private async Task Close()
    {
        if (S.Status != RoundStatus.Open)
        {
            return;
        }

        _deadlineTimer?.Dispose();
        var plan = S.Plan!;
        foreach (var (cluster, entry) in S.Clusters.Where(c => c.Value.Status == ClusterStatus.Running))
        {
            entry.Status = ClusterStatus.Dropped;
            entry.Reason = $"no cluster model within the cycle's {(S.Deadline!.Value - S.OpenedAt!.Value).TotalSeconds:F0} s";
            logger.LogWarning("Cycle {Cycle} of {ProjectId}: cluster {Cluster} dropped at the deadline", plan.Round, plan.ProjectId, cluster);
        }

        var reported = S.Clusters.Where(c => c.Value.Status == ClusterStatus.Reported).ToList();
        var needed = Math.Max(1, plan.Spec.Training.MinFitClusters);

        // Every cluster has ended here (reported or dropped): the round's quorum rule decides.
        var decision = RoundDeadline.Decide(S.Deadline!.Value, S.Deadline.Value, reported.Count, S.Clusters.Count, S.Clusters.Count, needed);
        if (decision == RoundDecision.CloseWithQuorum)
        {
            S.Summary = await Aggregate(plan, reported);
            S.Status = RoundStatus.Closed;
        }
        else
        {
            S.Status = RoundStatus.Failed;
            S.FailureReason = $"only {reported.Count} of {S.Clusters.Count} edge clusters sent a model (minFitClusters={needed}); "
                + string.Join("; ", S.Clusters.Where(c => c.Value.Status == ClusterStatus.Dropped).Select(c => $"{c.Key}: {c.Value.Reason}"));
        }

        await state.WriteStateAsync();
        // The cycle, as the cloud sees it: its participants are the cluster models it combined.
        FlopsMetrics.RoundEnded(plan.ProjectId, FlopsMetrics.CloudLevel, S.Status == RoundStatus.Closed, (time.GetUtcNow() - S.OpenedAt!.Value).TotalSeconds, reported.Count, aggregationSeconds: null);
        logger.LogInformation("Cycle {Cycle} of {ProjectId} {Status}: {Reported} of {Clusters} clusters, accuracy {Accuracy}", plan.Round, plan.ProjectId, S.Status, reported.Count, S.Clusters.Count, S.Summary?.Accuracy);
        await ReportOutcome();
    }

    private async Task<RoundSummary> Aggregate(RoundPlan plan, List<KeyValuePair<string, ClusterEntry>> reported)
    {
        var clusterModels = new List<ClusterModel>(reported.Count);
        foreach (var (cluster, entry) in reported)
        {
            clusterModels.Add(new ClusterModel(cluster, await models.GetAsync(entry.Model), entry.SampleCount));
        }

        var parameters = ClusterAggregation.Combine(clusterModels);
        var model = await models.PutAsync(parameters);
        var evaluation = await evaluator.EvaluateAsync(plan.Spec, plan.Tenant, parameters);

        var lastInner = reported.Select(c => c.Value.InnerRounds[^1]).ToList();
        var samples = reported.Sum(c => c.Value.SampleCount);
        return new RoundSummary
        {
            Round = plan.Round,
            Attempt = plan.Attempt,
            Participants = lastInner.Sum(r => r.Participants),
            Selected = lastInner.Sum(r => r.Selected),
            Loss = evaluation?.LogLoss,
            Accuracy = evaluation?.Accuracy,
            Seconds = (time.GetUtcNow() - S.OpenedAt!.Value).TotalSeconds,
            TrainingLoss = TrainingLosses.WeightedMean([.. lastInner.Select(r => (r.TrainingLoss, r.SampleCount))]),
            UpdateBytes = reported.Sum(c => c.Value.BytesToCloud),
            SampleCount = samples,
            Failures = RoundSummaries.Listed(lastInner.SelectMany(r => r.Failures)),
            UnlistedFailures = RoundSummaries.Unlisted(lastInner.Sum(r => r.FailureCount)),
            Model = model,
            BaseModel = plan.GlobalModel,
            Clusters = [.. S.Clusters.Select(c => new ClusterSummary
            {
                Cluster = c.Key,
                Included = c.Value.Status == ClusterStatus.Reported,
                Reason = c.Value.Reason,
                SampleCount = c.Value.SampleCount,
                BytesToCloud = c.Value.BytesToCloud,
                InnerRounds = [.. c.Value.InnerRounds],
            })],
        };
    }

    private Task ReportOutcome() => RoundLifecycle.Report(GrainFactory, S.Plan!, S.Status, S.Summary, S.FailureReason);

    /// <summary>A device's edge cluster: the one its key names, else <c>default</c>.</summary>
    public static string ClusterOfDevice(string deviceId) => EdgeKeys.ClusterOf(deviceId) ?? "default";

    private IEdgeAggregatorGrain EdgeAggregator(string cluster) =>
        GrainFactory.GetGrain<IEdgeAggregatorGrain>(IEdgeAggregatorGrain.KeyFor(S.Plan!.ProjectId, S.Plan.Round, S.Plan.Attempt, cluster));
}
