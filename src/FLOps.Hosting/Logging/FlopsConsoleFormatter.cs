using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace FLOps.Hosting.Logging;

/// <summary>
/// One line per entry, as the simple console formatter's single-line mode writes them
/// (<c>warn: Category[event] message exception</c>), except for Orleans' noise
/// (<see cref="OrleansLogNoise"/>): the watchdog's start-up race is not written, and a peer that
/// cannot be reached is one line with the reason and no stack trace, then quiet for a while.
/// </summary>
public sealed class FlopsConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "flops";

    private static readonly DateTime ProcessStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    private readonly PeerFailureGate _peers;
    private readonly TimeProvider _time;

    /// <param name="options">Taken for the console's registration; this formatter has no options of its own.</param>
    /// <param name="time">The clock of the peer-failure gate and of the process's lifetime (the system's by default).</param>
    public FlopsConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options, TimeProvider? time = null)
        : base(FormatterName)
    {
        _ = options;
        _time = time ?? TimeProvider.System;
        _peers = new PeerFailureGate(_time);
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var lifetime = _time.GetUtcNow().UtcDateTime - ProcessStart;
        if (OrleansLogNoise.IsWatchdogStartRace(logEntry.Category, logEntry.EventId, logEntry.State as IEnumerable<KeyValuePair<string, object?>>, lifetime))
        {
            return;
        }

        string? tail;
        if (OrleansLogNoise.IsPeerConnectionFailure(logEntry.Category, logEntry.EventId, logEntry.Exception, message))
        {
            if (!_peers.ShouldShow())
            {
                return;
            }

            var reason = logEntry.Exception is { } e ? OrleansLogNoise.Reason(e) + "; " : "";
            tail = $"({reason}a peer is unreachable: further errors about unreachable peers are not shown for {PeerFailureGate.Quiet.TotalSeconds:0} s; membership declares a silo that stays away dead)";
        }
        else
        {
            tail = logEntry.Exception?.ToString();
        }

        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.Write("] ");
        textWriter.Write(OrleansLogNoise.OneLine(message ?? ""));
        if (tail is not null)
        {
            textWriter.Write(' ');
            textWriter.Write(OrleansLogNoise.OneLine(tail));
        }

        textWriter.Write(Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
