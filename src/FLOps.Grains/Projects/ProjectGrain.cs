using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Devices;
using FLOps.Grains.Placement;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Models;
using FLOps.Learning.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;

namespace FLOps.Grains.Projects;

/// <summary>
/// Drives a project's rounds. While it runs, a reminder ticks: each tick asks the current round to
/// start (a no-op when it runs), which reactivates a round whose silo died, or starts the next one
/// after a whole-cluster restart, without anyone calling in. In hierarchical mode each "round" is
/// a cycle, run by a root aggregator over the edge clusters.
/// </summary>
[EdgePlacement(EdgePlacementScope.Cloud)]
public sealed class ProjectGrain(
    [PersistentState(FlopsStorage.ProjectState, FlopsStorage.ProviderName)] IPersistentState<ProjectGrainState> state,
    IModelStore models,
    IEdgeTopology topology,
    TimeProvider time,
    IOptions<FlopsGrainOptions> options,
    IOptions<FlopsLimits> limits,
    ILogger<ProjectGrain> logger) : Grain, IProjectGrain, IRemindable
{
    private const string TickReminder = "project-tick";

    private readonly ObserverManager<IProjectObserver> _observers = new(TimeSpan.FromMinutes(5), logger);
    private IGrainTimer? _deviceWaitTimer;

    private string Id => this.GetPrimaryKeyString();

    private ProjectGrainState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Spec is not null)
        {
            FlopsMetrics.ProjectIs(Id, S.State);
            ReportLatestModel();

            // Projects stored before tasks carried the layout: a built-in kind's follows from its spec.
            if (S.Layout.Count == 0 && !ProjectSpecValidator.IsUploaded(S.Spec.Model))
            {
                S.Layout = [.. TensorShapes.Of(ProjectSpecValidator.ArchitectureOf(S.Spec.Model).Layout)];
            }

            // Projects stored with their simulated devices' ids: the spec names the same devices
            // (see FleetOf), which configure themselves from their first task; the next write drops the ids.
            S.SimulatedDevices.Clear();
            S.UnconfiguredDevices.Clear();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FlopsMetrics.ProjectLeft(Id);
        return Task.CompletedTask;
    }

    public async Task<ProjectSnapshot> Submit(ProjectSpec spec, string tenant)
    {
        ProjectSpecValidator.ThrowIfInvalid(spec, limits.Value);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (S.Spec is not null)
        {
            throw new InvalidOperationException($"Project '{Id}' already has a spec; submit a new project instead.");
        }

        spec = ProjectSpecValidator.Normalize(spec, limits.Value);
        if (spec.Simulation is { } hierarchicalSimulation && spec.Training.Mode == ProjectSpecValidator.HierarchicalMode)
        {
            // The clusters the devices are spread over are part of what is stored and shown.
            spec = spec with { Simulation = hierarchicalSimulation with { Clusters = ClustersFor(hierarchicalSimulation) } };
        }

        var upload = ProjectSpecValidator.IsUploaded(spec.Model) ? await UploadedModelOf(spec, tenant) : null;
        if (upload is not null)
        {
            spec = spec with { Model = spec.Model with { Inputs = upload.Inputs, Classes = upload.Classes } };
        }

        S.Spec = spec;
        S.Tenant = tenant;
        S.State = ProjectState.Pending;
        S.CreatedAt = time.GetUtcNow();
        FlopsMetrics.ProjectIs(Id, S.State);
        if (upload is not null)
        {
            S.Model = upload.InitialModel;
            S.Layout = [.. upload.Layout];
        }
        else
        {
            var architecture = ProjectSpecValidator.ArchitectureOf(spec.Model);
            S.Model = await models.PutAsync(ModelInitializer.Create(architecture, ProjectSeeds.Of(spec, Id)));
            S.Layout = [.. TensorShapes.Of(architecture.Layout)];
        }
        S.State = ProjectState.Running;
        S.CurrentRound = 1;
        await state.WriteStateAsync();
        FlopsMetrics.ProjectIs(Id, S.State);
        await this.RegisterOrUpdateReminder(TickReminder, options.Value.ProjectTick, options.Value.ProjectTick);
        logger.LogInformation("Project {ProjectId} '{Name}' started ({Mode}): {Rounds} rounds of {Strategy}", Id, spec.Name, spec.Training.Mode, spec.Training.Rounds, spec.Strategy.Name);

        await StartCurrentRound();
        return Snapshot();
    }

    public Task<ProjectSnapshot> GetSnapshot() => Task.FromResult(Snapshot());

    /// <summary>
    /// The tenant's uploaded model that the spec names, when its graph fits the project's data:
    /// a bundled data set's features and classes, or any sizes for the tenant's own data.
    /// </summary>
    private async Task<UploadedModelInfo> UploadedModelOf(ProjectSpec spec, string tenant)
    {
        var modelId = spec.Model.ModelId!;
        var upload = await GrainFactory.GetGrain<IUploadedModelGrain>(IUploadedModelGrain.KeyFor(tenant, modelId)).GetInfo()
            ?? throw new InvalidProjectSpecException([new SpecError("model.modelId", $"no uploaded model '{modelId}': upload the ONNX file first (POST /api/v1/models)")]);
        if (MnistDataCatalog.IsBundled(spec.DataTag))
        {
            var shape = MnistDataCatalog.ShapeOf(spec.DataTag);
            if (upload.Inputs != shape.Features || upload.Classes != shape.Classes)
            {
                throw new InvalidProjectSpecException([new SpecError("model.modelId", $"the graph takes {upload.Inputs} features and gives {upload.Classes} classes; data tag '{spec.DataTag}' has {shape.Features} features and {shape.Classes} classes")]);
            }
        }

        return upload;
    }

    public async Task<ProjectSnapshot> Cancel(string reason)
    {
        if (S.Spec is null || S.State.IsTerminal())
        {
            return Snapshot();
        }

        await Finish(ProjectState.Cancelled, string.IsNullOrWhiteSpace(reason) ? "cancelled by the user" : reason);
        if (IsHierarchical)
        {
            await RootAggregator(S.CurrentRound, S.CurrentAttempt).Abort("project cancelled");
        }
        else
        {
            await RoundGrain(S.CurrentRound, S.CurrentAttempt).Abort("project cancelled");
        }
        return Snapshot();
    }

    public async Task<byte[]?> ExportOnnx()
    {
        if (S.Spec is null || S.Rounds.Count == 0)
        {
            return null;
        }

        var parameters = await models.GetAsync(S.Model);
        if (ProjectSpecValidator.IsUploaded(S.Spec.Model))
        {
            var graph = await GrainFactory.GetGrain<IUploadedModelGrain>(IUploadedModelGrain.KeyFor(S.Tenant, S.Spec.Model.ModelId!)).GetGraph()
                ?? throw new InvalidOperationException($"the uploaded model '{S.Spec.Model.ModelId}' of project '{Id}' is gone");
            return ImportedOnnxModel.WithParameters(graph.Value, parameters);
        }

        return OnnxModelExporter.Export(ProjectSpecValidator.ArchitectureOf(S.Spec.Model), parameters);
    }

    public Task Subscribe(IProjectObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IProjectObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task OnRoundEnded(RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (S.State != ProjectState.Running || outcome.Round != S.CurrentRound || outcome.Attempt != S.CurrentAttempt)
        {
            logger.LogDebug("Project {ProjectId} ignores the end of round {Round} attempt {Attempt} (state {State}, current round {Current} attempt {CurrentAttempt})", Id, outcome.Round, outcome.Attempt, S.State, S.CurrentRound, S.CurrentAttempt);
            return;
        }

        if (!outcome.Succeeded || outcome.Summary is null)
        {
            var reason = outcome.FailureReason ?? "failed";
            S.FailedAttempts.Add(new RoundAttemptFailure(outcome.Round, outcome.Attempt, reason));
            var training = S.Spec!.Training;
            if (string.Equals(training.OnRoundFailure, ProjectSpecValidator.RetryPolicy, StringComparison.OrdinalIgnoreCase) && S.CurrentAttempt < training.MaxRoundRetries)
            {
                S.CurrentAttempt++;
                await state.WriteStateAsync();
                logger.LogWarning("Project {ProjectId}: round {Round} failed ({Reason}); retry {Attempt} of {MaxRetries}", Id, outcome.Round, reason, S.CurrentAttempt, training.MaxRoundRetries);
                Notify();
                await StartCurrentRound();
                return;
            }

            var attempts = S.CurrentAttempt > 0 ? $" (after {S.CurrentAttempt + 1} attempts)" : "";
            await Finish(ProjectState.Failed, $"round {outcome.Round}{attempts}: {reason}");
            return;
        }

        S.Rounds.Add(outcome.Summary);
        S.StrategyState = outcome.Summary.StrategyState;
        S.Model = outcome.Summary.Model;
        S.BytesToCloud += outcome.Summary.UpdateBytes;
        ReportLatestModel();
        if (outcome.Round >= TotalRounds)
        {
            await Finish(ProjectState.Completed, reason: null);
            return;
        }

        S.CurrentRound++;
        S.CurrentAttempt = 0;
        await state.WriteStateAsync();
        Notify();
        await StartCurrentRound();
    }

    /// <summary>
    /// The simulated devices as data: device i holds shard i and, in hierarchical mode, belongs to
    /// cluster i mod K and lives there. Nothing creates them: each configures itself from its first
    /// task, on a silo of its cluster, so a cluster without a live silo needs nothing done later.
    /// </summary>
    private SimulatedFleet? FleetOf(ProjectSpec spec) => spec.Simulation is not { } simulation ? null : new SimulatedFleet
    {
        ProjectId = Id,
        Dataset = spec.DataTag,
        Partition = simulation.Partition,
        Seed = simulation.Seed,
        Count = simulation.Devices,
        Clusters = IsHierarchical ? simulation.Clusters ?? ["default"] : [],
        SpeedSpread = simulation.SpeedSpread,
        DropoutRate = simulation.DropoutRate,
    };

    private IReadOnlyList<string> ClustersFor(SimulationSpec simulation) =>
        simulation.Clusters is { Count: > 0 } named ? [.. named]
        : topology.LiveEdgeClusters().Keys.Order(StringComparer.Ordinal).ToList() is { Count: > 0 } live ? live
        : ["default"];

    private async Task StartCurrentRound()
    {
        var spec = S.Spec!;

        // Simulated devices are a count; registered ones are sampled by the round from the
        // sharded directory, except in hierarchical mode, where the root groups them by cluster.
        var fleet = FleetOf(spec);
        var directory = IDeviceDirectoryGrain.KeyFor(S.Tenant, spec.DataTag);
        IReadOnlyList<string> available = fleet is null && IsHierarchical ? await DeviceDirectory.ListAsync(GrainFactory, directory) : [];
        var availableCount = fleet?.Count ?? (IsHierarchical ? available.Count : (await DeviceDirectory.CountsAsync(GrainFactory, directory)).Sum());
        if (availableCount < spec.Training.MinAvailableClients)
        {
            await WaitForDevices(availableCount);
            return;
        }

        if (S.WaitingForDevicesSince is not null)
        {
            S.WaitingForDevicesSince = null;
            await state.WriteStateAsync();
        }

        var seed = ProjectSeeds.OfRound(ProjectSeeds.Of(spec, Id), S.CurrentRound);
        var plan = new RoundPlan
        {
            ProjectId = Id,
            Tenant = S.Tenant,
            Round = S.CurrentRound,
            Attempt = S.CurrentAttempt,
            Spec = spec,
            AvailableDevices = available,
            Fleet = fleet,
            DeviceDirectory = fleet is null && !IsHierarchical ? directory : null,
            GlobalModel = S.Model,

            // A retry selects afresh: its seed differs from the failed attempt's.
            Seed = S.CurrentAttempt == 0 ? seed : StableHash.Combine(seed, S.CurrentAttempt),
            StrategyState = S.StrategyState,
            Layout = S.Layout,
            Parent = this.GetGrainId(),
        };
        if (IsHierarchical)
        {
            await RootAggregator(S.CurrentRound, S.CurrentAttempt).Start(plan);
        }
        else
        {
            await RoundGrain(S.CurrentRound, S.CurrentAttempt).Start(plan);
        }

        Notify();
    }

    /// <summary>
    /// A round may wait for devices at most the round timeout; then the project fails with a
    /// reason instead of hanging. The timer re-checks once at that deadline.
    /// </summary>
    private async Task WaitForDevices(int availableCount)
    {
        var spec = S.Spec!;
        var timeout = TimeSpan.FromSeconds(spec.Training.RoundTimeoutSeconds);
        var now = time.GetUtcNow();
        if (S.WaitingForDevicesSince is { } since && now - since >= timeout)
        {
            await Finish(ProjectState.Failed, $"round {S.CurrentRound}: only {availableCount} of minAvailableClients={spec.Training.MinAvailableClients} devices with data tag '{spec.DataTag}' were available after waiting {spec.Training.RoundTimeoutSeconds} s");
            return;
        }

        if (S.WaitingForDevicesSince is null)
        {
            S.WaitingForDevicesSince = now;
            await state.WriteStateAsync();
        }

        var remaining = timeout - (now - S.WaitingForDevicesSince.Value);
        _deviceWaitTimer?.Dispose();
        _deviceWaitTimer = this.RegisterGrainTimer(
            static (grain, cancellation) => grain.StartCurrentRoundIfRunning(),
            this,
            new GrainTimerCreationOptions { DueTime = remaining, Period = Timeout.InfiniteTimeSpan });
        logger.LogInformation("Project {ProjectId} waits up to {Seconds:F0} s for {Needed} devices ({Available} available)", Id, remaining.TotalSeconds, spec.Training.MinAvailableClients, availableCount);
    }

    private Task StartCurrentRoundIfRunning() => S.State == ProjectState.Running ? StartCurrentRound() : Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (S.State == ProjectState.Running)
        {
            await StartCurrentRound();
        }
        else if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task Finish(ProjectState final, string? reason)
    {
        _deviceWaitTimer?.Dispose();
        if (await this.GetReminder(TickReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        S.State = final;
        S.Reason = reason;
        S.FinishedAt = time.GetUtcNow();
        S.WaitingForDevicesSince = null;
        await state.WriteStateAsync();
        FlopsMetrics.ProjectIs(Id, final);
        if (reason is null)
        {
            logger.LogInformation("Project {ProjectId} {State}", Id, final);
        }
        else
        {
            logger.LogInformation("Project {ProjectId} {State}: {Reason}", Id, final, reason);
        }
        Notify();
    }

    /// <summary>
    /// The project, where its rounds are recorded, reports its latest global model's scores while
    /// its grain is active here: one silo at a time, always the latest recorded round.
    /// </summary>
    private void ReportLatestModel()
    {
        if (S.Rounds.LastOrDefault(r => r.Accuracy is not null && r.Loss is not null) is { } latest)
        {
            FlopsMetrics.ProjectModelIs(Id, latest.Accuracy!.Value, latest.Loss!.Value);
        }
    }

    private void Notify()
    {
        if (_observers.Count > 0)
        {
            var snapshot = Snapshot();
            _observers.Notify(o => o.OnProgress(snapshot));
        }
    }

    /// <summary>The id of simulated device <paramref name="index"/> of a project.</summary>
    public static string SimulatedDeviceId(string projectId, int index) => SimulatedFleet.DeviceIdOf(projectId, index);

    private bool IsHierarchical => string.Equals(S.Spec?.Training.Mode, ProjectSpecValidator.HierarchicalMode, StringComparison.Ordinal);

    /// <summary>Rounds in classic mode, cycles in hierarchical mode: what the project counts to.</summary>
    private int TotalRounds => S.Spec is null ? 0 : IsHierarchical ? S.Spec.Training.Cycles : S.Spec.Training.Rounds;

    private IRootAggregatorGrain RootAggregator(int cycle, int attempt) => GrainFactory.GetGrain<IRootAggregatorGrain>(IRoundGrain.KeyFor(Id, cycle, attempt));

    private IRoundGrain RoundGrain(int round, int attempt) => GrainFactory.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(Id, round, attempt));

    private ProjectSnapshot Snapshot() => new()
    {
        Id = Id,
        Name = S.Spec?.Name ?? "",
        State = S.State,
        CurrentRound = S.CurrentRound,
        TotalRounds = TotalRounds,
        Rounds = [.. S.Rounds],
        Reason = S.Reason,
        Spec = S.Spec,
        CreatedAt = S.CreatedAt,
        FinishedAt = S.FinishedAt,
        Model = S.Model,
        BytesToCloud = S.BytesToCloud,
        FailedAttempts = [.. S.FailedAttempts],
    };
}
