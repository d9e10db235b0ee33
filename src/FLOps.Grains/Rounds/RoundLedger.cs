using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Rounds;

/// <summary>
/// Who a round selected and who has reported: accepted updates (kept as their sample count,
/// training loss and size, never their parameters), failures, rejections and refusals. Failures,
/// rejections and refusals live in the round's state; accepted updates are rebuilt from the
/// journal by a new activation. Every lookup is a hash lookup, so a round of N devices does O(N)
/// work for N reports.
/// </summary>
public sealed class RoundLedger
{
    /// <summary>How many refusal reasons a round keeps (the count goes on).</summary>
    public const int MaxRecordedRefusals = 20;

    private readonly RoundGrainState _state;
    private readonly HashSet<string> _participants;
    private readonly HashSet<string> _leftOut;
    private readonly Dictionary<string, AcceptedUpdate> _accepted = new(StringComparer.Ordinal);

    public RoundLedger(RoundGrainState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        _participants = new HashSet<string>(state.Participants, StringComparer.Ordinal);
        _leftOut = new HashSet<string>(state.Failures.Concat(state.Rejections).Select(f => f.DeviceId), StringComparer.Ordinal);
    }

    public int Selected => _state.Participants.Count;

    public int Accepted => _accepted.Count;

    /// <summary>Participants that sent an update, failed or were rejected.</summary>
    public int Reported => _accepted.Count + _state.Failures.Count + _state.Rejections.Count;

    public bool EveryoneReported => Reported >= Selected;

    public bool IsParticipant(string deviceId) => _participants.Contains(deviceId);

    public bool HasAccepted(string deviceId) => _accepted.ContainsKey(deviceId);

    public bool HasReported(string deviceId) => _accepted.ContainsKey(deviceId) || _leftOut.Contains(deviceId);

    /// <summary>Participants that have not reported, in selection order.</summary>
    public List<string> Missing() => [.. _state.Participants.Where(id => !HasReported(id))];

    public void Accept(string deviceId, long sampleCount, double trainingLoss, int parameterCount) =>
        _accepted[deviceId] = new AcceptedUpdate(sampleCount, trainingLoss, parameterCount);

    /// <summary>A participant that could not train (or did not answer) is left out, with the reason.</summary>
    public void Fail(string deviceId, string reason)
    {
        _state.Failures.Add(new DeviceFailure(deviceId, reason));
        _leftOut.Add(deviceId);
    }

    /// <summary>A participant whose update failed validation is left out, with the reason.</summary>
    public void Reject(string deviceId, string reason)
    {
        _state.Rejections.Add(new DeviceFailure(deviceId, reason));
        _leftOut.Add(deviceId);
    }

    /// <summary>Leaves out every participant that has not reported; returns how many.</summary>
    public int FailMissing(string reason)
    {
        var missing = Missing();
        foreach (var straggler in missing)
        {
            Fail(straggler, reason);
        }

        return missing.Count;
    }

    /// <summary>Counts an update that changed nothing (late, duplicate, not selected, stale) and keeps the first reasons.</summary>
    public void Refuse(string deviceId, string reason, bool afterClose)
    {
        _state.Refused++;
        if (afterClose)
        {
            _state.RefusedAfterClose++;
        }

        if (_state.RefusalReasons.Count < MaxRecordedRefusals)
        {
            _state.RefusalReasons.Add($"{deviceId}: {reason}");
        }
    }

    /// <summary>The aggregated devices, in ordinal order.</summary>
    public List<string> AcceptedIds() => [.. _accepted.Keys.Order(StringComparer.Ordinal)];

    public long AcceptedSamples => _accepted.Values.Aggregate(0L, (sum, u) => checked(sum + u.SampleCount));

    public long AcceptedBytes => _accepted.Values.Sum(u => (long)u.ParameterCount * sizeof(float));

    public double TrainingLoss => TrainingLosses.WeightedMean([.. _accepted.Values.Select(u => (u.TrainingLoss, u.SampleCount))]);

    /// <summary>Why a round without its quorum failed, naming the first devices left out.</summary>
    public string QuorumFailure(int minFitClients)
    {
        var leftOut = _state.Failures.Concat(_state.Rejections).Take(5).ToList();
        return $"only {Accepted} of {Selected} selected devices sent a usable update (minFitClients={minFitClients})"
            + (leftOut.Count > 0 ? $"; left out: {string.Join("; ", leftOut.Select(f => $"{f.DeviceId}: {f.Reason}"))}" : "");
    }

    /// <summary>Forgets the accepted updates (the round closed; its journal is dropped).</summary>
    public void ClearAccepted() => _accepted.Clear();

    private readonly record struct AcceptedUpdate(long SampleCount, double TrainingLoss, int ParameterCount);
}
