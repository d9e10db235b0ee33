using System.Diagnostics;

namespace FLOps.Cli.Tests;

/// <summary>Runs the built <c>flops</c> command as a separate process, as a user or script would.</summary>
internal static class FlopsProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string[] OutputLines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static Task<Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs <c>flops ARGS</c> with these variables added to its environment.</summary>
    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "flops.dll"), .. args], environment, Path.GetTempPath(), TimeSpan.FromMinutes(5));

    /// <summary>Runs any program to its end (killed after <paramref name="limit"/>), with these variables added to its environment.</summary>
    public static async Task<Result> RunProgramAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string workingDirectory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
