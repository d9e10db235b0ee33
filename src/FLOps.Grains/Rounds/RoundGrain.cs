using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Devices;
using FLOps.Grains.Placement;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Validation;
using Microsoft.Extensions.Logging;

namespace FLOps.Grains.Rounds;

/// <summary>
/// A round survives the death of its silo: its plan, participants and deadline are grain state,
/// each accepted update is journaled before it is acknowledged, and a new activation rebuilds the
/// aggregate from the journal, re-arms the deadline and hands the task again to every participant
/// that has neither reported nor failed.
/// </summary>
// Rounds of many projects spread their aggregation over the cloud silos; an edge cluster's inner
// rounds stay on that cluster's silos, with its devices.
[Orleans.Placement.RandomPlacement]
[EdgePlacement(EdgePlacementScope.ClusterOfKey)]
public sealed class RoundGrain(
    [PersistentState(FlopsStorage.RoundState, FlopsStorage.ProviderName)] IPersistentState<RoundGrainState> state,
    IModelStore models,
    IUpdateJournal journal,
    HeldOutEvaluator evaluator,
    TimeProvider time,
    ILogger<RoundGrain> logger) : Grain, IRoundGrain
{
    private static readonly TimeSpan HandOutAgainAfter = TimeSpan.FromSeconds(20);

    /// <summary>How soon a task that did not reach its device (its silo died) is sent again.</summary>
    private static readonly TimeSpan DeliverAgainAfter = TimeSpan.FromSeconds(1);

    /// <summary>Devices whose journaled update this activation skipped: their next valid update takes its place.</summary>
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    /// <summary>Built once per activation, from the plan (which never changes once stored).</summary>
    private IAggregationStrategy? _strategy;
    private RoundAggregation? _aggregation;
    private RoundLedger? _ledger;
    private IGrainTimer? _deadlineTimer;
    private IGrainTimer? _closeTimer;
    private DateTimeOffset _lastHandOut;
    private System.Diagnostics.Activity? _span;

    private RoundGrainState S => state.State;

    private RoundLedger Ledger => _ledger ??= new RoundLedger(S);

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Status != RoundStatus.Open)
        {
            return;
        }

        await BeginAggregation(S.Plan!);
        foreach (var update in await journal.ReadAsync(JournalKey(S.Plan!), S.Plan!.Round, cancellationToken))
        {
            // Rows journaled before today's checks (or by a bug) are checked again: one bad row
            // must not make every activation of the round throw.
            var check = UpdateValidator.Check(update.Parameters, _aggregation!.Global, update.SampleCount, RoundUpdateCheck.MaxSampleCount(S), maxUpdateNorm: null);
            if (check.IsValid)
            {
                Accept(update);
            }
            else
            {
                _skipped.Add(update.DeviceId);
                logger.LogWarning("Round {RoundKey} skips the journaled update of {DeviceId}: {Reason}", Key, update.DeviceId, check.Reason);
            }
        }

        S.Resumptions++;
        await state.WriteStateAsync(cancellationToken);
        _span = FlopsTracing.StartRound(S.Plan!, S.Participants.Count, resumed: true);
        ArmDeadline();
        FlopsMetrics.RoundOpen(Key, S.Plan!.ProjectId, S.Deadline!.Value);
        logger.LogInformation("Round {RoundKey} resumed with {Accepted} journaled updates of {Participants}", Key, Ledger.Accepted, S.Participants.Count);
        // The participants may have lost their task with the silo that died.
        HandOutAgainIfDue();
        CloseIfEveryoneReported();
    }

    public async Task Start(RoundPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!await RoundLifecycle.ShouldBegin(S.Status, ReportOutcome, HandOutAgainIfDue))
        {
            return;
        }

        var training = plan.Spec.Training;
        var participants = await RoundSelection.ParticipantsAsync(plan, StrategyOf(plan), GrainFactory);

        // What can fail (reading the global model and the strategy's state) comes before the round
        // stores itself Open: a round stored Open is one the project's ticks take as running, so it
        // must not be left without its aggregation, its deadline or its hand-out. (It was: a read
        // that failed just after a database restart left round 6 of issue 17 open for good.)
        await BeginAggregation(plan);
        var now = time.GetUtcNow();
        S.Plan = plan;
        S.Status = RoundStatus.Open;
        S.Participants = [.. participants];
        _ledger = new RoundLedger(S);
        S.OpenedAt = now;
        S.Deadline = now + TimeSpan.FromSeconds(training.RoundTimeoutSeconds);
        await state.WriteStateAsync();
        ArmDeadline();
        FlopsMetrics.RoundOpen(Key, plan.ProjectId, S.Deadline.Value);
        _span = FlopsTracing.StartRound(plan, participants.Count, resumed: false);

        logger.LogInformation("Round {Round} of {ProjectId} opened with {Participants} of {Available} devices", plan.Round, plan.ProjectId, participants.Count, plan.Fleet?.Available ?? plan.AvailableDevices.Count);

        // The fan-out runs interleaved, outside this turn: the first updates are taken while the
        // task is still being handed to the last participants (and the project is not held up).
        this.RegisterGrainTimer(_ => HandOut(participants), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    public async Task<UpdateReceipt> SubmitUpdate(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var (refusal, reason, problem) = RoundUpdateCheck.Check(S, Key, Ledger, update, _aggregation?.Global ?? []);
        if (refusal == UpdateRefusal.Malformed)
        {
            // A malformed or out-of-bound update: the device is left out of the round, with the reason.
            Ledger.Reject(update.DeviceId, reason!);
            await state.WriteStateAsync();
            FlopsMetrics.UpdateNotCounted(S.Plan!.ProjectId, FlopsMetrics.RejectedOutcome, FlopsMetrics.ReasonOf(problem));
            logger.LogWarning("Round {RoundKey} rejected the update of {DeviceId}: {Reason}", Key, update.DeviceId, reason);
            CloseIfEveryoneReported();
            return UpdateReceipt.Refuse(refusal, reason!);
        }

        if (refusal == UpdateRefusal.None)
        {
            var entry = new JournaledUpdate(update.DeviceId, update.Parameters.Value, update.SampleCount, update.TrainingLoss);
            if (await Record(entry))
            {
                Accept(entry);
                FlopsMetrics.UpdateAccepted(S.Plan!.ProjectId, (long)entry.Parameters.Length * sizeof(float));
                CloseIfEveryoneReported();
                return UpdateReceipt.Accept;
            }

            (refusal, reason, _) = RoundUpdateCheck.Duplicate(update.DeviceId, S.Plan!.Round);
        }

        Ledger.Refuse(update.DeviceId, reason!, afterClose: S.Status is RoundStatus.Closed or RoundStatus.Failed or RoundStatus.Aborted);
        await state.WriteStateAsync();
        FlopsMetrics.UpdateNotCounted(S.Plan?.ProjectId ?? "", refusal == UpdateRefusal.Late ? FlopsMetrics.LateOutcome : FlopsMetrics.RefusedOutcome, FlopsMetrics.ReasonOf(refusal));
        logger.LogInformation("Round {RoundKey} refused an update from {DeviceId}: {Reason}", Key, update.DeviceId, reason);
        return UpdateReceipt.Refuse(refusal, reason!);
    }

    public async Task ReportFailure(string deviceId, string reason)
    {
        if (S.Status != RoundStatus.Open || !Ledger.IsParticipant(deviceId) || Ledger.HasReported(deviceId))
        {
            return;
        }

        Ledger.Fail(deviceId, reason);
        await state.WriteStateAsync();
        logger.LogWarning("Device {DeviceId} failed in round {RoundKey}: {Reason}", deviceId, Key, reason);
        CloseIfEveryoneReported();
    }

    public Task<RoundRefusals> GetRefusals() => Task.FromResult(new RoundRefusals(S.Refused, S.RefusedAfterClose, [.. S.RefusalReasons]));

    /// <summary>A round closed before <see cref="RoundGrainState.Aggregated"/> existed kept the ids in its summary.</summary>
    public Task<IReadOnlyList<string>> GetParticipantIds() => Task.FromResult<IReadOnlyList<string>>(
        S.Status != RoundStatus.Closed ? Ledger.AcceptedIds()
        : S.Aggregated.Count > 0 ? [.. S.Aggregated]
        : [.. S.Summary?.ParticipantIds ?? []]);

    public async Task Abort(string reason)
    {
        if (S.Status is RoundStatus.Open or RoundStatus.NotStarted)
        {
            StopTimers();
            S.Status = RoundStatus.Aborted;
            S.FailureReason = reason;
            await state.WriteStateAsync();
            FlopsMetrics.RoundNotOpen(Key);
            FlopsTracing.EndRound(_span, "aborted", Ledger.Accepted, accuracy: null);
            _span = null;
            logger.LogInformation("Round {RoundKey} aborted: {Reason}", Key, reason);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A round still open when its silo stops is resumed elsewhere, under a span (and deadline series) of its own.
        FlopsMetrics.RoundNotOpen(Key);
        FlopsTracing.EndRound(_span, "interrupted", _ledger?.Accepted ?? 0, accuracy: null);
        _span = null;
        return Task.CompletedTask;
    }

    private IAggregationStrategy StrategyOf(RoundPlan plan) =>
        _strategy ??= StrategyCatalog.Create(plan.Spec.Strategy.Name, plan.Spec.Strategy.Parameters);

    private async Task BeginAggregation(RoundPlan plan)
    {
        var global = await models.GetAsync(plan.GlobalModel);
        var strategy = StrategyOf(plan);
        strategy.ImportState(await LoadStrategyState(plan.StrategyState));
        _aggregation = RoundAggregation.For(plan, strategy, global);
    }

    /// <summary>The plan's state references resolved from the model store (the plan is grain state, so a resumed round imports the same).</summary>
    private async Task<StrategyState?> LoadStrategyState(StrategyStateRef? reference)
    {
        if (reference is null)
        {
            return null;
        }

        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, model) in reference.Vectors)
        {
            vectors[name] = await models.GetAsync(model);
        }

        return new StrategyState(vectors, new Dictionary<string, double>(reference.Scalars, StringComparer.Ordinal));
    }

    private async Task<StrategyStateRef?> StoreStrategyState(StrategyState? exported)
    {
        if (exported is null)
        {
            return null;
        }

        var vectors = new Dictionary<string, ModelRef>(StringComparer.Ordinal);
        foreach (var (name, vector) in exported.Vectors.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            vectors[name] = await models.PutAsync((float[])vector.Clone());
        }

        return new StrategyStateRef { Vectors = vectors, Scalars = new Dictionary<string, double>(exported.Scalars, StringComparer.Ordinal) };
    }

    /// <summary>
    /// Journals the update; <c>false</c> if the device's row is already there. A row this
    /// activation skipped never counted, so the device's valid update replaces it: the round
    /// handed the device its task again and must not refuse the answer as a duplicate.
    /// </summary>
    private async Task<bool> Record(JournaledUpdate entry)
    {
        if (!_skipped.Contains(entry.DeviceId))
        {
            return await journal.TryRecordAsync(JournalKey(S.Plan!), S.Plan!.Round, entry);
        }

        await journal.ReplaceAsync(JournalKey(S.Plan!), S.Plan!.Round, entry);
        _skipped.Remove(entry.DeviceId);
        return true;
    }

    private void Accept(JournaledUpdate update)
    {
        _aggregation!.Add(update.Parameters, update.SampleCount);
        Ledger.Accept(update.DeviceId, update.SampleCount, update.TrainingLoss, update.Parameters.Length);
    }

    /// <summary>
    /// Retries journal apart from the failed attempt, whose rows a durable journal keeps; an edge
    /// cluster's inner rounds under their aggregator's key (one per project, cycle and cluster).
    /// </summary>
    private static string JournalKey(RoundPlan plan) =>
        plan.Edge is { } edge ? edge.AggregatorKey
        : plan.Attempt == 0 ? plan.ProjectId
        : $"{plan.ProjectId}#attempt{plan.Attempt}";

    private void ArmDeadline() => _deadlineTimer = this.At(S.Deadline!.Value, time, static grain => grain.Close());

    /// <summary>
    /// Asked to start while open (the project's tick): the participants that have not reported may
    /// have lost their task with a silo that died while this round lived on elsewhere, so they get
    /// it again, at most every <see cref="HandOutAgainAfter"/>. A device still working on it, or
    /// holding it, ignores the repeat.
    /// </summary>
    private void HandOutAgainIfDue()
    {
        var now = time.GetUtcNow();
        if (now - _lastHandOut < HandOutAgainAfter)
        {
            return;
        }

        var missing = Ledger.Missing();
        if (missing.Count > 0)
        {
            _lastHandOut = now;
            this.RegisterGrainTimer(_ => HandOut(missing), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
        }
    }

    private async Task HandOut(IReadOnlyList<string> participants)
    {
        _lastHandOut = time.GetUtcNow();
        // The tasks are handed out inside the round's span (the timer does not carry it here).
        System.Diagnostics.Activity.Current = _span;
        var plan = S.Plan!;
        var training = plan.Spec.Training;
        var task = new TrainingTask
        {
            RoundKey = Key,
            Round = plan.Round,
            GlobalModel = plan.GlobalModel,
            Model = plan.Spec.Model,
            LocalEpochs = training.LocalEpochs,
            BatchSize = training.BatchSize,
            LearningRate = training.LearningRate,
            Momentum = training.Momentum,
            ProximalMu = StrategyOf(plan).ProximalMu,
            Seed = plan.Seed,
            SimulatedLatencySeconds = plan.Spec.Simulation?.LatencySeconds ?? 0,
            ByzantineDevices = plan.Spec.Simulation?.ByzantineDevices ?? 0,
            ByzantineAttack = plan.Spec.Simulation?.ByzantineAttack,
            ProjectId = plan.ProjectId,
            Tenant = plan.Tenant,
            MaxSampleCount = RoundUpdateCheck.MaxSampleCount(S),
            Layout = plan.Layout,
            Fleet = plan.Fleet,
        };

        // One continuation for the whole fan-out rather than one per participant: each would be
        // a work item on this grain, queued with the updates that are already coming back.
        var calls = new Task[participants.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = GrainFactory.GetGrain<IDeviceGrain>(participants[i]).AssignTask(task);
        }

        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Each refusal is read from its own task below.
        }

        var undelivered = new List<string>();
        var failures = new List<DeviceFailure>();
        for (var i = 0; i < calls.Length; i++)
        {
            if (calls[i].Exception?.GetBaseException() is not { } e || S.Status != RoundStatus.Open || Ledger.HasReported(participants[i]))
            {
                continue;
            }

            if (TaskDelivery.IsUndelivered(e))
            {
                undelivered.Add(participants[i]);
            }
            else
            {
                failures.Add(new DeviceFailure(participants[i], $"could not take the task: {e.Message}"));
            }
        }

        if (failures.Count > 0)
        {
            foreach (var (deviceId, reason) in failures)
            {
                Ledger.Fail(deviceId, reason);
            }

            await state.WriteStateAsync();
        }

        if (undelivered.Count > 0 && S.Status == RoundStatus.Open)
        {
            // The device's silo died (or was declared dead while paused) with the call in flight:
            // the device is not at fault, and its next activation lives on a silo that is up. It
            // stays a participant and is asked again until the round closes.
            logger.LogInformation("Round {RoundKey} sends its task again to {Count} devices it did not reach", Key, undelivered.Count);
            this.RegisterGrainTimer(_ => HandOut(undelivered), new GrainTimerCreationOptions(DeliverAgainAfter, Timeout.InfiniteTimeSpan) { Interleave = true });
        }

        CloseIfEveryoneReported();
    }

    /// <summary>
    /// Closing runs in its own turn (a one-shot timer), so the device whose update completed the
    /// round gets its receipt at once instead of waiting for aggregation and the next round.
    /// </summary>
    private void CloseIfEveryoneReported()
    {
        if (S.Status == RoundStatus.Open && _closeTimer is null && Ledger.EveryoneReported)
        {
            _closeTimer = this.At(time.GetUtcNow(), time, static grain => grain.Close());
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
        var ledger = Ledger;
        var failedBeforeDeadline = S.Failures.Count;
        ledger.FailMissing($"no update within the {training.RoundTimeoutSeconds} s round timeout");

        // Close runs at the deadline or once everyone reported, so the clock is at least the deadline here.
        var decision = RoundDeadline.Decide(S.Deadline!.Value, S.Deadline.Value, ledger.Accepted, ledger.Reported, ledger.Selected, training.MinFitClients);
        double? aggregationSeconds = null;
        if (decision != RoundDecision.CloseWithQuorum || _aggregation is null)
        {
            S.Status = RoundStatus.Failed;
            S.FailureReason = ledger.QuorumFailure(training.MinFitClients);
        }
        else
        {
            var aggregation = System.Diagnostics.Stopwatch.StartNew();
            S.Summary = await Aggregate(plan);
            S.Aggregated = ledger.AcceptedIds();
            S.Status = RoundStatus.Closed;
            aggregationSeconds = aggregation.Elapsed.TotalSeconds;
        }

        await state.WriteStateAsync();
        var seconds = (time.GetUtcNow() - S.OpenedAt!.Value).TotalSeconds;
        FlopsMetrics.RoundNotOpen(Key);
        FlopsMetrics.RoundEnded(plan.ProjectId, plan.Edge is null ? FlopsMetrics.FlatLevel : FlopsMetrics.EdgeLevel, S.Status == RoundStatus.Closed, seconds, Ledger.Accepted, aggregationSeconds);
        FlopsMetrics.RoundLeftOut(plan.ProjectId, timedOut: S.Failures.Count - failedBeforeDeadline, failed: failedBeforeDeadline, rejected: S.Rejections.Count);
        FlopsTracing.EndRound(_span, S.Status == RoundStatus.Closed ? "closed" : "failed", Ledger.Accepted, S.Summary?.Accuracy);
        _span = null;
        if (S.Status == RoundStatus.Closed)
        {
            logger.LogInformation(
                "Round {Round} of {ProjectId} closed after {Seconds:F2} s: {Accepted} of {Participants} updates, accuracy {Accuracy}", plan.Round, plan.ProjectId, seconds, Ledger.Accepted, S.Participants.Count, S.Summary?.Accuracy);
        }
        else
        {
            logger.LogWarning("Round {Round} of {ProjectId} failed after {Seconds:F2} s: {Reason}", plan.Round, plan.ProjectId, seconds, S.FailureReason);
        }
        _aggregation = null;
        ledger.ClearAccepted();
        await journal.RoundClosedAsync(JournalKey(plan), plan.Round);
        await ReportOutcome();
        DeactivateOnIdle();
    }

    private Task ReportOutcome() => RoundLifecycle.Report(GrainFactory, S.Plan!, S.Status, S.Summary, S.FailureReason);

    private async Task<RoundSummary> Aggregate(RoundPlan plan)
    {
        var (parameters, exported) = _aggregation!.Complete();
        var model = await models.PutAsync(parameters);
        var strategyState = await StoreStrategyState(exported);
        var evaluation = await evaluator.EvaluateAsync(plan.Spec, plan.Tenant, parameters);
        return RoundSummaries.Closed(plan, S, Ledger, model, strategyState, evaluation, (time.GetUtcNow() - S.OpenedAt!.Value).TotalSeconds);
    }

    private void StopTimers()
    {
        _deadlineTimer?.Dispose();
        _closeTimer?.Dispose();
        _deadlineTimer = null;
    }
}
