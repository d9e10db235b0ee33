using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Placement;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Data;
using FLOps.Learning.Robustness;
using FLOps.Learning.Training;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FLOps.Grains.Devices;

[GenerateSerializer, Alias("flops.DeviceGrainState")]
public sealed class DeviceGrainState
{
    [Id(0)] public DeviceProfile? Profile { get; set; }

    /// <summary>SHA-256 (hex) of a registered device's token; null for simulated devices.</summary>
    [Id(1)] public string? TokenHash { get; set; }

    /// <summary>A registered device's task waiting for its learner agent; kept across restarts.</summary>
    [Id(2)] public TrainingTask? PendingTask { get; set; }
}

/// <summary>
/// A device. A simulated one cuts its shard of the bundled data on activation and keeps it in
/// the silo that hosts it; only trained parameters leave, sent to the round grain.
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
    TimeProvider time,
    ILogger<DeviceGrain> logger) : Grain, IDeviceGrain
{
    private const int DeliveryAttempts = 5;

    private Dataset? _shard;
    private string? _taskInFlight;
    private System.Diagnostics.Activity? _learnerSpan;

    private string Id => this.GetPrimaryKeyString();

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
        FlopsTracing.EndDeviceTask(_learnerSpan, "interrupted");
        _learnerSpan = null;
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

    public async Task Register(DeviceProfile profile, string tokenHash)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (state.State.Profile is not null)
        {
            throw new InvalidOperationException($"Device '{Id}' is already registered.");
        }

        state.State.Profile = profile;
        state.State.TokenHash = tokenHash;
        await state.WriteStateAsync();
        FlopsMetrics.DeviceIs(Id, profile.Cluster);
    }

    public Task<bool> Authenticate(string token) => Task.FromResult(
        state.State.TokenHash is { } expected && DeviceTokens.Matches(token, expected));

    public async Task AssignTask(TrainingTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var profile = state.State.Profile ?? throw new InvalidOperationException($"Device '{Id}' is not registered.");
        FlopsMetrics.DeviceWorked(Id);
        if (profile.Shard is null)
        {
            // A real device: its learner agent fetches the task through the gateway; the span
            // lasts until the agent's update is passed on.
            state.State.PendingTask = task;
            await state.WriteStateAsync();
            FlopsTracing.EndDeviceTask(_learnerSpan, "replaced");
            _learnerSpan = FlopsTracing.StartDeviceTask(task, Id);
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
        _ = TrainAndReport(task);
    }

    public Task<TrainingTask?> NextTask() => Task.FromResult(state.State.PendingTask);

    public async Task<Immutable<float[]>> GetTaskModel(string modelHash)
    {
        if (state.State.PendingTask?.GlobalModel is not { } model || model.Hash != modelHash)
        {
            throw new InvalidOperationException($"Model '{modelHash}' is not the model of device '{Id}''s pending task.");
        }

        return new Immutable<float[]>(await models.GetAsync(model));
    }

    public async Task<UpdateReceipt> SubmitTrainedUpdate(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (state.State.PendingTask is not { } task || task.Round != update.Round)
        {
            return UpdateReceipt.Refuse($"device '{Id}' has no pending task for round {update.Round}");
        }

        // A malformed upload does not use up the task: the agent may send a correct one.
        var parameters = update.Parameters.Value;
        if (parameters is null || parameters.Length != task.GlobalModel.ParameterCount)
        {
            return UpdateReceipt.Refuse($"expected {task.GlobalModel.ParameterCount} parameters, got {parameters?.Length ?? 0}");
        }

        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(parameters))
        {
            return UpdateReceipt.Refuse("parameters contain NaN or infinity");
        }

        FlopsMetrics.DeviceWorked(Id);
        var receipt = await GrainFactory.GetGrain<IRoundGrain>(task.RoundKey).SubmitUpdate(update with { DeviceId = Id });
        state.State.PendingTask = null;
        await state.WriteStateAsync();
        FlopsTracing.EndDeviceTask(_learnerSpan, receipt.Accepted ? "accepted" : "refused", receipt.Accepted ? null : receipt.Reason);
        _learnerSpan = null;
        return receipt;
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
            task.LocalEpochs, task.BatchSize, (float)task.LearningRate, StableHash.Combine(task.Seed, deviceSeed), (float)task.ProximalMu);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var report = await compute.TrainAsync(Id, ProjectSpecValidator.ArchitectureOf(task.Model), parameters, _shard, options, CancellationToken.None);
        if (task.ByzantineDevices > 0 && task.ByzantineAttack is { } attack && state.State.Profile.Shard is { } poisoner && poisoner.Index < task.ByzantineDevices)
        {
            // A simulated byzantine device: trained honestly, then poisoned the way the project asked.
            ByzantineAttack.Poison(attack, parameters, global, StableHash.Combine(options.Seed, 0x6B7));
        }

        if (task.SimulatedLatencySeconds > 0 && state.State.Profile.Shard is { } shard)
        {
            await Task.Delay(TimeSpan.FromSeconds(task.SimulatedLatencySeconds * (shard.Index + 1) / shard.Count), time);
        }

        return new DeviceUpdate
        {
            DeviceId = Id,
            Round = task.Round,
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
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt - 1)), time);
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
