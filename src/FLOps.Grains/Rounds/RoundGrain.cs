using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Learning.Aggregation;
using Microsoft.Extensions.Logging;

namespace FLOps.Grains.Rounds;

public sealed class RoundGrain(
    [PersistentState(FlopsStorage.RoundState, FlopsStorage.ProviderName)] IPersistentState<RoundGrainState> state,
    IModelStore models,
    ISimulatedDataCatalog data,
    ILocalTrainingService compute,
    TimeProvider time,
    ILogger<RoundGrain> logger) : Grain, IRoundGrain
{
    private IAggregationRound? _aggregation;
    private int _parameterCount;
    private IGrainTimer? _deadlineTimer;
    private IGrainTimer? _closeTimer;

    private RoundGrainState S => state.State;

    public async Task Start(RoundPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (S.Status != RoundStatus.NotStarted)
        {
            return;
        }

        var training = plan.Spec.Training;
        var strategy = StrategyCatalog.Create(plan.Spec.Strategy.Name, plan.Spec.Strategy.Parameters);
        var participants = strategy.SelectParticipants(
            plan.AvailableDevices,
            new ParticipantSelection(training.FractionFit, training.MinFitClients, plan.Seed, plan.Round));

        var global = await models.GetAsync(plan.GlobalModel);
        _parameterCount = global.Length;
        _aggregation = strategy.BeginRound(global, plan.Round);

        var now = time.GetUtcNow();
        S.Plan = plan;
        S.Status = RoundStatus.Open;
        S.Participants = [.. participants];
        S.OpenedAt = now;
        S.Deadline = now + TimeSpan.FromSeconds(training.RoundTimeoutSeconds);
        await state.WriteStateAsync();

        _deadlineTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.Close(),
            this,
            new GrainTimerCreationOptions { DueTime = S.Deadline.Value - now, Period = Timeout.InfiniteTimeSpan });

        var task = new TrainingTask
        {
            RoundKey = this.GetPrimaryKeyString(),
            Round = plan.Round,
            GlobalModel = plan.GlobalModel,
            Model = plan.Spec.Model,
            LocalEpochs = training.LocalEpochs,
            BatchSize = training.BatchSize,
            LearningRate = training.LearningRate,
            ProximalMu = plan.Spec.Strategy.Parameters?.GetValueOrDefault("mu") ?? 0,
            Seed = plan.Seed,
        };
        var refusals = await Task.WhenAll(participants.Select(id => HandOut(id, task)));
        var failures = refusals.OfType<DeviceFailure>().ToList();
        if (failures.Count > 0)
        {
            S.Failures.AddRange(failures);
            await state.WriteStateAsync();
        }

        logger.LogInformation("Round {Round} of {ProjectId} opened with {Participants} of {Available} devices", plan.Round, plan.ProjectId, participants.Count, plan.AvailableDevices.Count);
        CloseIfEveryoneReported();
    }

    public async Task<UpdateReceipt> SubmitUpdate(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var refusal = Check(update);
        if (refusal is not null)
        {
            S.Refused++;
            logger.LogInformation("Round {RoundKey} refused an update from {DeviceId}: {Reason}", this.GetPrimaryKeyString(), update.DeviceId, refusal);
            return UpdateReceipt.Refuse(refusal);
        }

        var parameters = update.Parameters.Value;
        _aggregation!.Add(parameters, update.SampleCount);
        S.Accepted[update.DeviceId] = new AcceptedUpdate(update.SampleCount, update.TrainingLoss, (long)parameters.Length * sizeof(float));
        await state.WriteStateAsync();
        CloseIfEveryoneReported();
        return UpdateReceipt.Accept;
    }

    public async Task ReportFailure(string deviceId, string reason)
    {
        if (S.Status != RoundStatus.Open || !S.Participants.Contains(deviceId) || HasReported(deviceId))
        {
            return;
        }

        S.Failures.Add(new DeviceFailure(deviceId, reason));
        await state.WriteStateAsync();
        logger.LogWarning("Device {DeviceId} failed in round {RoundKey}: {Reason}", deviceId, this.GetPrimaryKeyString(), reason);
        CloseIfEveryoneReported();
    }

    public async Task Abort(string reason)
    {
        if (S.Status is RoundStatus.Open or RoundStatus.NotStarted)
        {
            StopTimers();
            S.Status = RoundStatus.Aborted;
            S.FailureReason = reason;
            await state.WriteStateAsync();
        }
    }

    private async Task<DeviceFailure?> HandOut(string deviceId, TrainingTask task)
    {
        try
        {
            await GrainFactory.GetGrain<IDeviceGrain>(deviceId).AssignTask(task);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new DeviceFailure(deviceId, $"could not take the task: {e.Message}");
        }
    }

    private string? Check(DeviceUpdate update)
    {
        var round = S.Plan?.Round;
        if (S.Status != RoundStatus.Open)
        {
            return S.Status == RoundStatus.NotStarted ? "the round has not started" : $"round {round} is closed ({S.Status})";
        }

        if (update.Round != round)
        {
            return $"the update is for round {update.Round}, not round {round}";
        }

        if (!S.Participants.Contains(update.DeviceId))
        {
            return $"device '{update.DeviceId}' was not selected for round {round}";
        }

        if (S.Accepted.ContainsKey(update.DeviceId))
        {
            return $"device '{update.DeviceId}' already sent its update for round {round}";
        }

        if (S.Failures.Any(f => f.DeviceId == update.DeviceId))
        {
            return $"device '{update.DeviceId}' was already left out of round {round}";
        }

        var parameters = update.Parameters.Value;
        if (parameters is null || parameters.Length != _parameterCount)
        {
            return $"expected {_parameterCount} parameters, got {parameters?.Length ?? 0}";
        }

        if (update.SampleCount <= 0)
        {
            return $"sample count must be positive (got {update.SampleCount})";
        }

        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(parameters))
        {
            return "parameters contain NaN or infinity";
        }

        return null;
    }

    private bool HasReported(string deviceId) => S.Accepted.ContainsKey(deviceId) || S.Failures.Any(f => f.DeviceId == deviceId);

    /// <summary>
    /// Closing runs in its own turn (a one-shot timer), so the device whose update completed the
    /// round gets its receipt at once instead of waiting for aggregation and the next round.
    /// </summary>
    private void CloseIfEveryoneReported()
    {
        if (S.Status == RoundStatus.Open && _closeTimer is null && S.Accepted.Count + S.Failures.Count >= S.Participants.Count)
        {
            _closeTimer = this.RegisterGrainTimer(
                static (grain, _) => grain.Close(),
                this,
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan });
        }
    }

    private async Task Close()
    {
        if (S.Status != RoundStatus.Open)
        {
            return;
        }

        StopTimers();
        var plan = S.Plan!;
        var training = plan.Spec.Training;
        foreach (var straggler in S.Participants.Where(id => !HasReported(id)).ToList())
        {
            S.Failures.Add(new DeviceFailure(straggler, $"no update within the {training.RoundTimeoutSeconds} s round timeout"));
        }

        RoundOutcome outcome;
        if (S.Accepted.Count < training.MinFitClients || _aggregation is null)
        {
            S.Status = RoundStatus.Failed;
            S.FailureReason = $"only {S.Accepted.Count} of {S.Participants.Count} selected devices sent an update (minFitClients={training.MinFitClients})"
                + (S.Failures.Count > 0 ? $"; left out: {string.Join("; ", S.Failures.Take(5).Select(f => $"{f.DeviceId}: {f.Reason}"))}" : "");
            outcome = new RoundOutcome { Round = plan.Round, Succeeded = false, FailureReason = S.FailureReason };
        }
        else
        {
            S.Summary = await Aggregate(plan);
            S.Status = RoundStatus.Closed;
            outcome = new RoundOutcome { Round = plan.Round, Succeeded = true, Summary = S.Summary };
        }

        _aggregation = null;
        await state.WriteStateAsync();
        logger.LogInformation("Round {Round} of {ProjectId} {Status}: {Accepted} updates, accuracy {Accuracy}", plan.Round, plan.ProjectId, S.Status, S.Accepted.Count, S.Summary?.Accuracy);
        await GrainFactory.GetGrain<IProjectGrain>(plan.ProjectId).OnRoundEnded(outcome);
        DeactivateOnIdle();
    }

    private async Task<RoundSummary> Aggregate(RoundPlan plan)
    {
        var parameters = _aggregation!.Complete();
        var model = await models.PutAsync(parameters);
        var evaluationSet = data.GetEvaluationSet(plan.Spec.DataTag);
        var evaluation = evaluationSet is null
            ? null
            : await compute.EvaluateAsync(ProjectSpecValidator.ArchitectureOf(plan.Spec.Model), parameters, evaluationSet, CancellationToken.None);

        var samples = S.Accepted.Values.Sum(u => u.SampleCount);
        return new RoundSummary
        {
            Round = plan.Round,
            Participants = S.Accepted.Count,
            Selected = S.Participants.Count,
            Loss = evaluation?.LogLoss,
            Accuracy = evaluation?.Accuracy,
            Seconds = (time.GetUtcNow() - S.OpenedAt!.Value).TotalSeconds,
            TrainingLoss = S.Accepted.Values.Sum(u => u.TrainingLoss * u.SampleCount) / samples,
            UpdateBytes = S.Accepted.Values.Sum(u => u.Bytes),
            Failures = [.. S.Failures],
            Model = model,
        };
    }

    private void StopTimers()
    {
        _deadlineTimer?.Dispose();
        _closeTimer?.Dispose();
        _deadlineTimer = null;
    }
}
