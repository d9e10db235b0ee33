using FLOps.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19: a silo starts quietly, and a peer that is down is one line, not screens of stack
/// traces. The console formatter of every FLOps host drops exactly Orleans' noise and keeps
/// everything else on one line each.
/// </summary>
public sealed class QuietLogsTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void The_watchdogs_start_up_race_a_stall_longer_than_the_process_has_lived_is_not_written()
    {
        var sinceBoot = _clock.GetUtcNow().UtcDateTime - System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime() + TimeSpan.FromHours(1);

        Assert.Equal("", Write(WatchdogStall(sinceBoot)));
    }

    [Fact]
    public void A_real_watchdog_stall_shorter_than_the_process_has_lived_is_still_written()
    {
        var line = Write(WatchdogStall(TimeSpan.Zero));

        Assert.StartsWith("warn: Orleans.Runtime.Watchdog[100150] Participant check thread has not completed for 00:00:00", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_peer_that_refuses_connections_is_one_line_with_the_reason_and_no_stack_trace()
    {
        var formatter = Formatter();

        var line = Write(formatter, ConnectionRefused("Orleans.Runtime.Messaging.ConnectionManager"));

        Assert.Single(line.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Connection attempt to endpoint S127.0.0.1:21111:1 failed (Connection refused; a peer is unreachable", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Further_errors_about_unreachable_peers_are_quiet_for_a_minute_then_shown_again()
    {
        var formatter = Formatter();
        Assert.NotEqual("", Write(formatter, ConnectionRefused("Orleans.Runtime.Messaging.ConnectionManager")));

        _clock.Advance(PeerFailureGate.Quiet - TimeSpan.FromSeconds(1));
        Assert.Equal("", Write(formatter, ConnectionRefused("Orleans.Runtime.GrainDirectory.ClientDirectory", LogLevel.Error)));
        Assert.Equal("", Write(formatter, Entry("Orleans.Runtime.MembershipService.SiloHealthMonitor", 100613, "Did not get response for probe #1", new OperationCanceledException("The ping attempt was cancelled"))));
        Assert.Equal("", Write(formatter, Entry(OrleansLogNoise.MembershipAgentCategory, OrleansLogNoise.JoinConnectivityEventId, "Failed to get ping responses from 1 of 2 active silos", null, LogLevel.Error)));
        Assert.Equal("", Write(formatter, Entry(OrleansLogNoise.MessagingCategory, 101016, "Silo S127.0.0.1:43305:1 is dropping message Response [...] #239F. Reason: Connection terminated", null)));
        Assert.Equal("", Write(formatter, Entry(OrleansLogNoise.CallbackCategory, OrleansLogNoise.TargetSiloUnavailableEventId, "The target silo became unavailable for message: 'Request […]'. About to break its promise.", null)));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEqual("", Write(formatter, ConnectionRefused("Orleans.Runtime.Messaging.ConnectionManager")));
    }

    [Fact]
    public void Everything_else_is_written_on_one_line_with_its_exception()
    {
        var formatter = Formatter();
        Write(formatter, ConnectionRefused("Orleans.Runtime.Messaging.ConnectionManager"));

        var ours = Write(formatter, Entry("FLOps.Hosting.Network.ClusterTlsHosting", 0, "TLS: refused a peer of the cluster: not signed by the cluster CA", null));
        var failure = Write(formatter, Entry("Orleans.Runtime.Catalog", 7, "Activation failed", new InvalidOperationException("boom\nsecond line"), LogLevel.Error));

        Assert.Equal("warn: FLOps.Hosting.Network.ClusterTlsHosting[0] TLS: refused a peer of the cluster: not signed by the cluster CA" + Environment.NewLine, ours);
        Assert.StartsWith("fail: Orleans.Runtime.Catalog[7] Activation failed System.InvalidOperationException: boom second line", failure, StringComparison.Ordinal);
        Assert.Single(failure.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private FlopsConsoleFormatter Formatter() => new(new NoOptions(), _clock);

    private string Write(LogEntry<IReadOnlyList<KeyValuePair<string, object?>>> entry) => Write(Formatter(), entry);

    private static string Write(FlopsConsoleFormatter formatter, LogEntry<IReadOnlyList<KeyValuePair<string, object?>>> entry)
    {
        using var text = new StringWriter();
        formatter.Write(entry, null, text);
        return text.ToString();
    }

    private static LogEntry<IReadOnlyList<KeyValuePair<string, object?>>> WatchdogStall(TimeSpan stalled) => new(
        LogLevel.Warning,
        OrleansLogNoise.WatchdogCategory,
        new EventId(OrleansLogNoise.WatchdogStallEventId),
        [new("TimeSinceLastTick", stalled)],
        null,
        (_, _) => $"Participant check thread has not completed for {stalled}, potentially indicating lock contention or deadlock, CPU starvation, or another execution anomaly.");

    private static LogEntry<IReadOnlyList<KeyValuePair<string, object?>>> ConnectionRefused(string category, LogLevel level = LogLevel.Warning) =>
        Entry(category, 1953908373, "Connection attempt to endpoint S127.0.0.1:21111:1 failed", Thrown(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)), level);

    private static LogEntry<IReadOnlyList<KeyValuePair<string, object?>>> Entry(string category, int eventId, string message, Exception? exception, LogLevel level = LogLevel.Warning) =>
        new(level, category, new EventId(eventId), [], exception, (_, _) => message);

    /// <summary>An exception with a stack trace, as logged ones have.</summary>
    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw new IOException("the connection failed", exception);
        }
        catch (IOException e)
        {
            return e;
        }
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.FromDays(1).Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private sealed class NoOptions : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue { get; } = new();

        public ConsoleFormatterOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
