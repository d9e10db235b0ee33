using System.Diagnostics;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>A program run to its end (an infra script, promtool), with what it printed.</summary>
public static class ExternalCommand
{
    public sealed record Result(string Command, int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The last non-empty line of stdout: what the infra scripts hand back (a URL, a connection string).</summary>
        public string LastLine => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

        /// <summary>This result, or an exception that names the command and quotes its output.</summary>
        public Result EnsureSuccess() =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{Command} failed ({ExitCode}):\n{Stdout}\n{Stderr}");
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(10));
        return new Result($"{fileName} {string.Join(' ', start.ArgumentList)}", process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <c>infra/NAME</c> of this repository with bash.</summary>
    public static Task<Result> RunInfraScriptAsync(string relativePath, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        RunAsync("bash", [Path.Combine(PostgresFixture.RepositoryRoot, "infra", relativePath), .. arguments], environment);
}
