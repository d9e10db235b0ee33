using System.Diagnostics;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// The self-contained linux-arm64 <c>flops</c> of the project's publish profile
/// (<c>src/FLOps.Cli/Properties/PublishProfiles/linux-arm64.pubxml</c>), run on this x64 machine
/// under qemu's user-mode emulator through <c>infra/arm64/run.sh</c>, as an arm64 edge device
/// runs it. Prepared once per test run, whichever tests ask: <c>infra/arm64/setup.sh</c> installs
/// the emulator and the arm64 libraries, then the profile is published as a user would, to
/// <c>artifacts/publish/linux-arm64/flops</c>. Every build restores what the profile needs
/// (FLOps.Cli.csproj), so the publish writes only the linux-arm64 folders, never where the test
/// run's own builds (which may still be running beside it) write.
/// </summary>
public sealed class Arm64Flops
{
    private static readonly Lazy<Task<Arm64Flops>> Prepared = new(PrepareOnceAsync);

    private readonly string _extractDirectory;

    private Arm64Flops(string binary, string extractDirectory, TimeSpan publishTime)
    {
        Binary = binary;
        _extractDirectory = extractDirectory;
        PublishTime = publishTime;
    }

    /// <summary>The published single-file binary (an aarch64 ELF executable).</summary>
    public string Binary { get; }

    /// <summary>How long the publish took: restore, build of every project, bundling.</summary>
    public TimeSpan PublishTime { get; }

    /// <summary>The emulator installed and the binary published, the first call doing both.</summary>
    public static Task<Arm64Flops> PrepareAsync() => Prepared.Value;

    /// <summary>
    /// Starts <c>flops ARGS</c> under the emulator and waits, up to 3 minutes since its start-up is
    /// emulated too, until it prints a line starting with <paramref name="readyPrefix"/>.
    /// <paramref name="launcher"/> goes in front of the command, e.g. <c>["ip", "netns", "exec", "edge-1"]</c>
    /// to run it on a test host; run.sh execs the emulator, so signals sent to the process reach flops.
    /// </summary>
    public Task<CommandProcess> StartAsync(IReadOnlyList<string> args, string readyPrefix, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        var emulated = new Launcher(launcher ?? [], ["bash", Path.Combine(PostgresFixture.RepositoryRoot, "infra", "arm64", "run.sh"), Binary]);
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            // The native libraries of the bundle are extracted here, not under the home directory.
            ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = _extractDirectory,
        };
        return CommandProcess.StartAsync([.. args], readyPrefix, environment: variables, launcher: emulated, readyWithin: TimeSpan.FromMinutes(3));
    }

    private static async Task<Arm64Flops> PrepareOnceAsync()
    {
        (await ExternalCommand.RunInfraScriptAsync("arm64/setup.sh")).EnsureSuccess();
        var root = PostgresFixture.RepositoryRoot;
        var watch = Stopwatch.StartNew();
        (await ExternalCommand.RunAsync(
            "dotnet",
            ["publish", Path.Combine(root, "src", "FLOps.Cli"), "-p:PublishProfile=linux-arm64", "--disable-build-servers", "-nologo", "-v", "q"],
            timeout: TimeSpan.FromMinutes(15))).EnsureSuccess();
        var artifacts = Path.Combine(root, "artifacts");
        return new Arm64Flops(Path.Combine(artifacts, "publish", "linux-arm64", "flops"), Path.Combine(artifacts, "system-tests", "bundle-extract"), watch.Elapsed);
    }
}
