using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace FLOps.Hosting.Resilience;

/// <summary>
/// What a durable silo does on a fatal error, above all when the cluster declared it dead (it was
/// paused, or its host was cut off): one line on stderr naming why, then exit code 1 at once, so a
/// supervisor (systemd's Restart=on-failure) starts a fresh silo that rejoins. Orleans' own handler
/// writes a page of stack traces and aborts with 134 after a two-second sleep.
/// </summary>
public sealed partial class ExitWhenDeclaredDead(ILogger<ExitWhenDeclaredDead> logger) : IFatalErrorHandler
{
    public const int ExitCode = 1;

    public bool IsUnexpected(Exception exception) => true;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        var why = exception?.Message ?? context ?? "a fatal error";
        var line = Describe(why);
        LogFatal(logger, line);
        Console.Error.WriteLine(line);
        Console.Error.Flush();
        Console.Out.Flush();

        // A dead silo cannot stop gracefully (it may no longer write the membership table, and
        // stopping waits for that), so the process ends here, without running shutdown handlers.
        if (OperatingSystem.IsLinux())
        {
            Exit(ExitCode);
        }

        Environment.Exit(ExitCode);
    }

    /// <summary>The one line: whether the cluster declared this silo dead, and the reason Orleans gave.</summary>
    public static string Describe(string why)
    {
        var oneLine = why.ReplaceLineEndings(" ");
        return oneLine.Contains("dead", StringComparison.OrdinalIgnoreCase)
            ? $"flops silo: the cluster declared this silo dead ({oneLine}); exiting with code {ExitCode} so that a supervisor starts it again"
            : $"flops silo: fatal error ({oneLine}); exiting with code {ExitCode}";
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int status);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Line}")]
    private static partial void LogFatal(ILogger logger, string line);
}
