namespace FLOps.Grains.Rounds;

public enum RoundDecision
{
    /// <summary>Keep collecting updates.</summary>
    Open,

    /// <summary>Aggregate what arrived: everyone reported, or the deadline passed with the quorum.</summary>
    CloseWithQuorum,

    /// <summary>The deadline passed (or everyone reported) with fewer than minFitClients usable updates.</summary>
    Fail,
}

/// <summary>
/// When a round ends, as a pure function of the clock and the counts, so that it can be tested
/// with a fake clock: a round stays open until every participant reported (an update, a failure
/// or a rejected update) or its deadline passed; it then closes if at least minFitClients
/// updates were accepted and fails otherwise.
/// </summary>
public static class RoundDeadline
{
    public static RoundDecision Decide(DateTimeOffset now, DateTimeOffset deadline, int accepted, int reported, int participants, int minFitClients)
    {
        var everyoneReported = reported >= participants;
        if (!everyoneReported && now < deadline)
        {
            return RoundDecision.Open;
        }

        return accepted >= minFitClients ? RoundDecision.CloseWithQuorum : RoundDecision.Fail;
    }

    public static RoundDecision Decide(TimeProvider time, DateTimeOffset deadline, int accepted, int reported, int participants, int minFitClients)
    {
        ArgumentNullException.ThrowIfNull(time);
        return Decide(time.GetUtcNow(), deadline, accepted, reported, participants, minFitClients);
    }
}
