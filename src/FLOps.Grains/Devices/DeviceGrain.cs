using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Placement;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Data;
using FLOps.Learning.Robustness;
using FLOps.Learning.Training;
using FLOps.Learning.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FLOps.Grains.Devices;

[GenerateSerializer, Alias("flops.DeviceGrainState")]
public sealed class DeviceGrainState
{
    [Id(0)] public DeviceProfile? Profile { get; set; }

    /// <summary>
    /// A registered device's tasks waiting for its learner agent, oldest first, at most one per
    /// project; kept across restarts.
    /// </summary>
    [Id(3)] public List<TrainingTask> PendingTasks { get; set; } = [];
}

/// <summary>
/// A device. A simulated one cuts its shard of the bundled data on activation and keeps it in
/// the silo that hosts it; only trained parameters leave, sent to the round grain. A registered
/// one holds its tasks until its learner agent fetches them, and passes the agent's update to the
/// round of the task it names.
/// </summary>
// Spread over the cluster: devices train where they live, so the training load follows them. A
// device of an edge cluster (key …@cluster) lives only on that cluster's silos: its data is there.
[Orleans.Placement.RandomPlacement]
[EdgePlacement(EdgePlacementScope.ClusterOfKey)]
public sealed class DeviceGrain(
    [PersistentState(FlopsStorage.DeviceState, FlopsStorage.ProviderName)] IPersistentState<DeviceGrainState> state,
    IModelStore models,
    ISimulatedDataCatalog catalog,
    ILocalTrainingService compute,
    IOptions<FlopsLimits> limits,
    TimeProvider time,
    ILogger<DeviceGrain> logger) : Grain, IDeviceGrain
{
    /// <summary>About a minute of tries (waits of 1, 2, 4, 8 and then 15 s): long enough to ride out a round's silo being replaced or its database being away for a while.</summary>
    private const int DeliveryAttempts = 8;
    private static readonly TimeSpan LongestDeliveryWait = TimeSpan.FromSeconds(15);
    private const int MaxDeclineReasonLength = 300;

    /// <summary>Gateways waiting for this device's next task: one per gateway process, so a few; a gateway that went away is dropped once more arrive.</summary>
    private const int MaxWatchers = 16;

    private readonly Dictionary<string, System.Diagnostics.Activity?> _learnerSpans = new(StringComparer.Ordinal);
    private Dataset? _shard;
    private string? _taskInFlight;

    /// <summary>In memory only: after a deactivation a watcher hears nothing, its long poll's wait elapses and the learner asks again.</summary>
    private readonly List<IDeviceTaskObserver> _watchers = [];

    private string Id => this.GetPrimaryKeyString();

    private List<TrainingTask> Pending => state.State.PendingTasks;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Profile is { } profile)
        {
            FlopsMetrics.DeviceIs(Id, profile.Cluster);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FlopsMetrics.DeviceLeft(Id);
        foreach (var span in _learnerSpans.Values)
        {
            FlopsTracing.EndDeviceTask(span, "interrupted");
        }

        _learnerSpans.Clear();
        return Task.CompletedTask;
    }

    public async Task Configure(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _shard = null;
        if (profile.Shard is { } shard)
        {
            _shard = catalog.GetShard(shard);
            profile = profile with { SampleCount = _shard.Count };
        }

        state.State.Profile = profile;
        await state.WriteStateAsync();
        FlopsMetrics.DeviceIs(Id, profile.Cluster);
    }

    public Task<DeviceProfile?> GetProfile() => Task.FromResult(state.State.Profile);

    public async Task Register(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (state.State.Profile is not null)
        {
            throw new InvalidOperationException($"Device '{Id}' is already registered.");
        }

        state.State.Profile = profile;
        await state.WriteStateAsync();
        FlopsMetrics.DeviceIs(Id, profile.Cluster);

        // A device that trains inside the silo (it holds a shard) has no agent that will ask for
        // tasks: it waits, often for long, until a round selects it, and its profile is in storage,
        // so a million of them need not stay in memory meanwhile. A learner's device stays, as its
        // agent asks for tasks at once.
        if (profile.Shard is not null)
        {
            DeactivateOnIdle();
        }
    }

    public async Task AssignTask(TrainingTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var profile = state.State.Profile ?? ProfileFromFleet(task) ?? throw new InvalidOperationException($"Device '{Id}' is not registered.");
        FlopsMetrics.DeviceWorked(Id);
        if (profile.Shard is null)
        {
            await Hold(task, profile);
            return;
        }

        // A resumed round hands its task out again; the device already working on it goes on.
        if (_taskInFlight == task.RoundKey)
        {
            return;
        }

        // The caller only hands the task out; training and the upload run after this turn, so a
        // round's fan-out never waits for training.
        _taskInFlight = task.RoundKey;
        if (task.Fleet is { } fleet && SimulatedHeterogeneity.Abandons(fleet, profile.Shard.Index, task.Seed))
        {
            // A simulated dropout: the device took the task and goes silent, as a phone that loses
            // its network does. The round learns nothing until its deadline, which leaves the device
            // out as a straggler; a repeated hand-out of the same task finds it still "in flight".
            logger.LogInformation("Simulated device {DeviceId} abandons its task of {RoundKey} (simulation.dropoutRate)", Id, task.RoundKey);
            return;
        }

        _ = TrainAndReport(task);
    }

    /// <summary>
    /// A simulated device is never configured: the first task of its project names the fleet, and
    /// its id names its index, which is all it needs to cut its shard. The profile is not stored:
    /// a later activation gets it the same way from the round's task, so a project of a hundred
    /// thousand devices costs no writes and no calls before its first round.
    /// </summary>
    private DeviceProfile? ProfileFromFleet(TrainingTask task)
    {
        if (task.Fleet is not { } fleet || !fleet.TryIndexOf(Id, out var index))
        {
            return null;
        }

        var profile = SimulatedDeviceProfile.Of(fleet, index);
        state.State.Profile = profile;
        FlopsMetrics.DeviceIs(Id, profile.Cluster);
        return profile;
    }

    /// <summary>
    /// A registered device keeps the task for its learner agent, one per project: a project's
    /// newer task replaces its older one, whose round has ended (rounds of a project run one after
    /// another) and is told so. Tasks of other projects wait beside it; none is dropped silently.
    /// </summary>
    private async Task Hold(TrainingTask task, DeviceProfile profile)
    {
        // Directories are per tenant, so this only trips on a bug; it keeps a device from ever
        // seeing another tenant's model.
        if (!string.Equals(task.Tenant, profile.Tenant, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"device '{Id}' does not belong to the tenant of project '{task.ProjectId}'");
        }

        var index = Pending.FindIndex(t => t.ProjectId == task.ProjectId);
        if (index >= 0 && Pending[index].TaskId == task.TaskId)
        {
            return; // a resumed round handing out the same task again
        }

        if (index < 0 && Pending.Count >= limits.Value.MaxPendingTasksPerDevice)
        {
            throw new InvalidOperationException($"device '{Id}' already holds {Pending.Count} pending tasks (the limit)");
        }

        var replaced = index >= 0 ? Pending[index] : null;
        if (replaced is not null)
        {
            Pending.RemoveAt(index);
        }

        Pending.Add(task);
        await state.WriteStateAsync();
        _learnerSpans[task.TaskId] = FlopsTracing.StartDeviceTask(task, Id);
        TellWatchers();
        if (replaced is not null)
        {
            EndLearnerSpan(replaced.TaskId, "replaced", null);
            logger.LogInformation("Device {DeviceId}: task {TaskId} replaced by {NewTaskId} of the same project", Id, replaced.TaskId, task.TaskId);
            await GrainFactory.GetGrain<IRoundGrain>(replaced.RoundKey).ReportFailure(Id, $"its task was replaced by the project's next one ({task.TaskId}) before the device took it");
        }
    }

    public Task<TrainingTask?> NextTask() => Task.FromResult(Pending.Count > 0 ? Pending[0] : null);

    public Task<TrainingTask?> WatchNextTask(IDeviceTaskObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (Pending.Count > 0)
        {
            return Task.FromResult<TrainingTask?>(Pending[0]);
        }

        if (!_watchers.Contains(observer))
        {
            if (_watchers.Count >= MaxWatchers)
            {
                _watchers.RemoveAt(0);
            }

            _watchers.Add(observer);
        }

        return Task.FromResult<TrainingTask?>(null);
    }

    /// <summary>One-way calls, once per arrival: a watcher that wants the next one watches again.</summary>
    private void TellWatchers()
    {
        foreach (var watcher in _watchers)
        {
            watcher.TaskPending(Id, Pending[0]);
        }

        _watchers.Clear();
    }

    public async Task<Immutable<float[]>?> GetTaskModel(string modelHash) =>
        Pending.Find(t => t.GlobalModel.Hash == modelHash) is { } task
            ? new Immutable<float[]>(await models.GetAsync(task.GlobalModel))
            : null;

    public async Task<UpdateReceipt> SubmitTrainedUpdate(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (Pending.Find(t => t.TaskId == update.TaskId) is not { } task)
        {
            // No project to name: the task is none of this device's.
            return Refused("", UpdateRefusal.WrongTask, FlopsMetrics.ReasonOf(UpdateRefusal.WrongTask), $"device '{Id}' holds no task '{update.TaskId}'");
        }

        // A stale or malformed upload does not use up the task: the agent may send a correct one.
        if (update.BaseModelHash != task.GlobalModel.Hash)
        {
            return Refused(task.ProjectId, UpdateRefusal.Stale, FlopsMetrics.ReasonOf(UpdateRefusal.Stale), $"task '{task.TaskId}' trains model {task.GlobalModel.Hash}, not '{update.BaseModelHash}'");
        }

        var check = UpdateValidator.Check(update.Parameters.Value, task.GlobalModel.ParameterCount, update.SampleCount, task.MaxSampleCount);
        if (!check.IsValid)
        {
            return Refused(task.ProjectId, UpdateRefusal.Malformed, FlopsMetrics.ReasonOf(check.Problem), check.Reason!);
        }

        FlopsMetrics.DeviceWorked(Id);
        var receipt = await GrainFactory.GetGrain<IRoundGrain>(task.RoundKey).SubmitUpdate(update with { DeviceId = Id, Round = task.Round });
        Pending.Remove(task);
        await state.WriteStateAsync();
        EndLearnerSpan(task.TaskId, receipt.Accepted ? "accepted" : "refused", receipt.Reason);
        return receipt;
    }

    public async Task<bool> DeclineTask(string taskId, string reason)
    {
        if (Pending.Find(t => t.TaskId == taskId) is not { } task)
        {
            return false;
        }

        reason = string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason.Length > MaxDeclineReasonLength ? reason[..MaxDeclineReasonLength] : reason;
        Pending.Remove(task);
        await state.WriteStateAsync();
        EndLearnerSpan(task.TaskId, "declined", reason);
        logger.LogInformation("Device {DeviceId} declined task {TaskId}: {Reason}", Id, task.TaskId, reason);
        await GrainFactory.GetGrain<IRoundGrain>(task.RoundKey).ReportFailure(Id, $"the device declined the task: {reason}");
        return true;
    }

    /// <summary>An upload refused here, before any round saw it, is counted as the round counts its own refusals.</summary>
    private UpdateReceipt Refused(string projectId, UpdateRefusal refusal, string reasonLabel, string reason)
    {
        FlopsMetrics.UpdateNotCounted(projectId, refusal == UpdateRefusal.Malformed ? FlopsMetrics.RejectedOutcome : FlopsMetrics.RefusedOutcome, reasonLabel);
        logger.LogInformation("Device {DeviceId} refused an upload: {Reason}", Id, reason);
        return UpdateReceipt.Refuse(refusal, reason);
    }

    private void EndLearnerSpan(string taskId, string outcome, string? reason)
    {
        if (_learnerSpans.Remove(taskId, out var span))
        {
            FlopsTracing.EndDeviceTask(span, outcome, outcome == "accepted" ? null : reason);
        }
    }

    private async Task TrainAndReport(TrainingTask task)
    {
        using var span = FlopsTracing.StartDeviceTask(task, Id);
        var round = GrainFactory.GetGrain<IRoundGrain>(task.RoundKey);
        DeviceUpdate update;
        try
        {
            update = await Train(task);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Device {DeviceId} failed to train for {RoundKey}", Id, task.RoundKey);
            await Deliver(task, () => round.ReportFailure(Id, $"training failed: {e.Message}"));
            FlopsTracing.EndDeviceTask(span, "failed", e.Message);
            return;
        }

        var outcome = "undelivered";
        await Deliver(task, async () =>
        {
            var receipt = await round.SubmitUpdate(update);
            FlopsMetrics.DeviceWorked(Id);
            outcome = receipt.Accepted ? "accepted" : "refused";
            if (!receipt.Accepted)
            {
                logger.LogWarning("Device {DeviceId}: update for {RoundKey} refused: {Reason}", Id, task.RoundKey, receipt.Reason);
            }
        });
        FlopsTracing.EndDeviceTask(span, outcome, outcome == "accepted" ? null : outcome);
    }

    private async Task<DeviceUpdate> Train(TrainingTask task)
    {
        _shard ??= catalog.GetShard(state.State.Profile!.Shard!);
        var global = await models.GetAsync(task.GlobalModel);
        var parameters = (float[])global.Clone();

        // A simulated device's seed follows its shard, not its id, so that the same project spec
        // trains the same model whatever the project is called, and a repeated task the same update.
        var deviceSeed = state.State.Profile!.Shard?.Index ?? StableHash.Of(Id);
        var options = new TrainingOptions(
            task.LocalEpochs, task.BatchSize, (float)task.LearningRate, StableHash.Combine(task.Seed, deviceSeed), (float)task.ProximalMu, (float)task.Momentum);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var report = await compute.TrainAsync(Id, ProjectSpecValidator.ArchitectureOf(task.Model), parameters, _shard, options, CancellationToken.None);
        if (task.ByzantineDevices > 0 && task.ByzantineAttack is { } attack && state.State.Profile.Shard is { } poisoner && poisoner.Index < task.ByzantineDevices)
        {
            // A simulated byzantine device: trained honestly, then poisoned the way the project asked.
            ByzantineAttack.Poison(attack, parameters, global, StableHash.Combine(options.Seed, 0x6B7));
        }

        // A slower simulated device computes longer: the wait is a timer, so no thread is held.
        if (task.Fleet is { } fleet && state.State.Profile.Shard is { } simulated
            && SimulatedHeterogeneity.ExtraComputeTime(SimulatedHeterogeneity.SpeedFactor(fleet, simulated.Index), _shard.Count, task.LocalEpochs) is var extra
            && extra > TimeSpan.Zero)
        {
            await Task.Delay(extra, time);
        }

        if (task.SimulatedLatencySeconds > 0 && state.State.Profile.Shard is { } shard)
        {
            await Task.Delay(TimeSpan.FromSeconds(task.SimulatedLatencySeconds * (shard.Index + 1) / shard.Count), time);
        }

        return new DeviceUpdate
        {
            DeviceId = Id,
            Round = task.Round,
            TaskId = task.TaskId,
            BaseModelHash = task.GlobalModel.Hash,
            Parameters = new Immutable<float[]>(parameters),
            SampleCount = report.SampleCount,
            TrainingLoss = report.AverageLoss,
            TrainingSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
        };
    }

    /// <summary>
    /// Sends the result to the round, retrying while the round's silo is being replaced. If it
    /// never gets through, the task is forgotten so that the resumed round can hand it out again.
    /// </summary>
    private async Task Deliver(TrainingTask task, Func<Task> send)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await send();
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && attempt < DeliveryAttempts)
            {
                logger.LogInformation("Device {DeviceId} could not reach {RoundKey} (attempt {Attempt}): {Error}", Id, task.RoundKey, attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempt - 1), LongestDeliveryWait.TotalSeconds)), time);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning("Device {DeviceId} gave up reaching {RoundKey}: {Error}", Id, task.RoundKey, e.Message);
                _taskInFlight = null;
                return;
            }
        }
    }
}
