using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Rounds;
using FLOps.Learning.Validation;

namespace FLOps.Grains.Rounds;

/// <summary>What a round makes of an update: take it, or refuse it with a kind, a reason for people and the validation problem.</summary>
public readonly record struct UpdateVerdict(UpdateRefusal Refusal, string? Reason, UpdateProblem Problem)
{
    public static UpdateVerdict Take { get; } = new(UpdateRefusal.None, null, UpdateProblem.None);
}

/// <summary>
/// Why a round cannot aggregate an update, or <see cref="UpdateRefusal.None"/>.
/// <see cref="UpdateRefusal.Malformed"/> marks a participant's first update that fails
/// <see cref="UpdateValidator"/> (shape, sample count, NaN or infinity, norm bound): the device
/// is then left out of the round. Other refusals change nothing.
/// </summary>
public static class RoundUpdateCheck
{
    public static UpdateVerdict Check(RoundGrainState state, string roundKey, RoundLedger ledger, DeviceUpdate update, ReadOnlySpan<float> global)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(update);
        var round = state.Plan?.Round;
        if (state.Status != RoundStatus.Open)
        {
            return Refuse(UpdateRefusal.Late, state.Status == RoundStatus.NotStarted ? "the round has not started" : $"round {round} is closed ({state.Status})");
        }

        // Simulated devices and the gateway name the task; the round is that task.
        if (update.TaskId != roundKey || update.Round != round)
        {
            return Refuse(UpdateRefusal.WrongTask, $"the update is for task '{update.TaskId}' (round {update.Round}), not '{roundKey}' (round {round})");
        }

        var plan = state.Plan!;
        if (update.BaseModelHash != plan.GlobalModel.Hash)
        {
            return Refuse(UpdateRefusal.Stale, $"the update was trained from model '{update.BaseModelHash}', not this round's {plan.GlobalModel.Hash}");
        }

        if (!ledger.IsParticipant(update.DeviceId))
        {
            return Refuse(UpdateRefusal.NotSelected, $"device '{update.DeviceId}' was not selected for round {round}");
        }

        if (ledger.HasAccepted(update.DeviceId))
        {
            return Duplicate(update.DeviceId, plan.Round);
        }

        if (ledger.HasReported(update.DeviceId))
        {
            return Refuse(UpdateRefusal.Duplicate, $"device '{update.DeviceId}' was already left out of round {round}");
        }

        var check = UpdateValidator.Check(update.Parameters.Value, global, update.SampleCount, MaxSampleCount(state), plan.Spec.Validation?.MaxUpdateNorm);
        return check.IsValid ? UpdateVerdict.Take : new UpdateVerdict(UpdateRefusal.Malformed, check.Reason, check.Problem);
    }

    /// <summary>The device's update is already counted (in memory, or in the journal of an earlier activation).</summary>
    public static UpdateVerdict Duplicate(string deviceId, int round) =>
        Refuse(UpdateRefusal.Duplicate, $"device '{deviceId}' already sent its update for round {round}");

    /// <summary>The plan's bound on an update's sample count.</summary>
    public static long MaxSampleCount(RoundGrainState state) =>
        state?.Plan?.Spec.Validation?.MaxSampleCount ?? UpdateValidator.DefaultMaxSampleCount;

    private static UpdateVerdict Refuse(UpdateRefusal refusal, string reason) => new(refusal, reason, UpdateProblem.None);
}
