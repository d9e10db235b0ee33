using Microsoft.Extensions.Logging;

namespace FLOps.Hosting.Logging;

/// <summary>
/// What Orleans logs that is not news to an operator, told apart precisely (by category, event and
/// content, never by level alone), so that everything else Orleans says still reaches the console.
/// </summary>
public static class OrleansLogNoise
{
    /// <summary>The category and event of Orleans' <c>Watchdog</c> stall warnings (<c>ErrorCode.SiloHeartbeatTimerStalled</c>).</summary>
    public const string WatchdogCategory = "Orleans.Runtime.Watchdog";

    public const int WatchdogStallEventId = 100150;

    /// <summary>
    /// Orleans' <c>Watchdog.Start</c> starts its platform thread before it stamps the component
    /// check's start time, so the platform thread's first look may see a stamp of 0 and report the
    /// participant check as stalled since the machine booted ("Participant check thread has not
    /// completed for 01:20:26" at every start). A stall longer than this process has lived is that
    /// race, not a stall; a real one, shorter than the process's life, is still reported.
    /// </summary>
    public static bool IsWatchdogStartRace(string category, EventId eventId, IEnumerable<KeyValuePair<string, object?>>? state, TimeSpan processLifetime) =>
        category == WatchdogCategory
        && eventId.Id == WatchdogStallEventId
        && state?.FirstOrDefault(p => p.Key == "TimeSinceLastTick").Value is TimeSpan stalled
        && stalled > processLifetime + TimeSpan.FromSeconds(1);

    /// <summary>Membership's probes of other silos, and its check of them when a silo joins.</summary>
    public const string ProbeCategory = "Orleans.Runtime.MembershipService.SiloHealthMonitor";

    public const string MembershipAgentCategory = "Orleans.Runtime.MembershipService.MembershipAgent";

    /// <summary>Where a silo says it drops the messages of a connection that ended.</summary>
    public const string MessagingCategory = "Orleans.Messaging";

    /// <summary>A pending call whose target silo became unavailable: the caller gets the error, the log gets it again.</summary>
    public const string CallbackCategory = "Orleans.Runtime.CallbackData";

    public const int TargetSiloUnavailableEventId = 100157;

    /// <summary>A joining silo could not ping every active silo (one of them is down and not yet declared dead).</summary>
    public const int JoinConnectivityEventId = 100661;

    /// <summary>
    /// An Orleans entry about a peer that cannot be reached (connection refused, reset or failed, a
    /// probe unanswered): what every silo and client logs, many times over and with stack traces,
    /// while a peer is down, until membership declares it dead.
    /// </summary>
    /// <param name="message">The entry's text: a message dropped because its peer's connection ended carries no exception, only this.</param>
    public static bool IsPeerConnectionFailure(string category, EventId eventId, Exception? exception, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(category);
        if (!category.StartsWith("Orleans.", StringComparison.Ordinal))
        {
            return false;
        }

        if (category == MessagingCategory && message is not null
            && message.Contains("is dropping message", StringComparison.Ordinal) && message.Contains("Reason: Connection terminated", StringComparison.Ordinal))
        {
            return true;
        }

        if (category == CallbackCategory && eventId.Id == TargetSiloUnavailableEventId)
        {
            return true;
        }

        if (category == MembershipAgentCategory && eventId.Id == JoinConnectivityEventId)
        {
            return true;
        }

        var probe = category is ProbeCategory or MembershipAgentCategory;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException
                || (probe && e is OperationCanceledException or TimeoutException)
                || e.GetType().Name is "ConnectionResetException" or "ConnectionAbortedException" or "ConnectionFailedException" or "SocketConnectionException" or "SiloUnavailableException"
                || (e.GetType().Name == "OrleansMessageRejectionException" && (probe || e.Message.Contains("ConnectionFailedException", StringComparison.Ordinal))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The innermost message of an exception, on one line: what went wrong, without the stack.</summary>
    public static string Reason(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return OneLine(exception.GetBaseException().Message);
    }

    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ReplaceLineEndings(" ");
    }
}
