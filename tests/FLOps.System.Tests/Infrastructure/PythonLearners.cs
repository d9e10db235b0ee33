using System.Globalization;
using System.Runtime.InteropServices;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// Python learners as a user runs them: Debian's <c>/usr/bin/python3</c>, made ready by the
/// project's own <c>infra/python/numpy.sh</c> or <c>torch.sh</c>, running scripts of
/// <c>src/python</c> (the <c>flops_learner</c> package and its examples) or of this project's
/// <c>Python</c> folder, each in a process of its own.
/// </summary>
public static class PythonLearners
{
    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static readonly Dictionary<string, string> Interpreters = new(StringComparer.Ordinal);

    public static string SourceRoot => Path.Combine(PostgresFixture.RepositoryRoot, "src", "python");

    public static string TestScript(string name) => Path.Combine(PostgresFixture.RepositoryRoot, "tests", "FLOps.System.Tests", "Python", name);

    /// <summary>No bytecode caches in the source tree; the package is found on <c>src/python</c>.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["PYTHONPATH"] = SourceRoot,
    };

    /// <summary>The interpreter that <c>infra/python/SCRIPT</c> (<c>numpy.sh</c> or <c>torch.sh</c>) installs what it needs for, once per test run.</summary>
    public static async Task<string> InterpreterAsync(string script)
    {
        await Setup.WaitAsync();
        try
        {
            if (!Interpreters.TryGetValue(script, out var python))
            {
                python = (await ExternalCommand.RunInfraScriptAsync(Path.Combine("python", script))).EnsureSuccess().LastLine;
                Interpreters[script] = python;
            }

            return python;
        }
        finally
        {
            Setup.Release();
        }
    }

    /// <summary>Runs <c>python SCRIPT ARGS</c> to its end; it must exit 0.</summary>
    public static async Task<ExternalCommand.Result> RunAsync(string python, string script, params string[] args) =>
        (await ExternalCommand.RunAsync(python, [script, .. args], Environment, TimeSpan.FromMinutes(5))).EnsureSuccess();

    /// <summary>Starts <c>python -u SCRIPT ARGS</c>, a learner, and waits until it printed <c>flops learner: registered</c>.</summary>
    public static Task<CommandProcess> StartAsync(string python, string script, params string[] args) =>
        CommandProcess.StartAsync(args, "flops learner: registered", environment: Environment, launcher: Launcher.Local.Running([python, "-u", script]));

    /// <summary>Writes shard K of N of the bundled MNIST digits as <c>flops data export</c> does, for a Python learner.</summary>
    public static async Task ExportShardAsync(int index, int count, string path) =>
        (await ExternalCommand.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "flops.dll"), "data", "export", "mnist", "--shard", string.Create(CultureInfo.InvariantCulture, $"{index}/{count}"), "--out", path])).EnsureSuccess();

    /// <summary>A file of raw little-endian float32, as the learner protocol carries models and updates.</summary>
    public static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    /// <summary>The device id a learner printed in its <c>registered as ID</c> line.</summary>
    public static string DeviceIdOf(CommandProcess learner)
    {
        ArgumentNullException.ThrowIfNull(learner);
        const string marker = "flops learner: registered as ";
        var line = learner.Stdout.Split('\n').First(l => l.StartsWith(marker, StringComparison.Ordinal));
        return line[marker.Length..].Split(' ')[0];
    }
}
