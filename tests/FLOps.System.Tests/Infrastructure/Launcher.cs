namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// How <see cref="CommandProcess"/> starts <c>flops</c>: the program that runs it (by default this
/// build, <c>dotnet flops.dll</c>) behind an optional prefix such as <c>ip netns exec NS</c>, which
/// replaces itself with the program, so the process id is still the program's own.
/// </summary>
public sealed record Launcher(IReadOnlyList<string> Prefix, IReadOnlyList<string>? Program = null)
{
    /// <summary>This build of <c>flops</c>, in the test's own network namespace.</summary>
    public static Launcher Local { get; } = new([]);

    /// <summary>This build of <c>flops</c> inside the network namespace <paramref name="netns"/>.</summary>
    public static Launcher InNamespace(string netns) => new(["ip", "netns", "exec", netns]);

    /// <summary>The same prefix with another program, such as another platform's build under an emulator.</summary>
    public Launcher Running(IReadOnlyList<string> program) => this with { Program = program };

    /// <summary>The whole command line for <c>flops ARGS</c>.</summary>
    public IReadOnlyList<string> CommandLine(IEnumerable<string> args) =>
        [.. Prefix, .. Program ?? ["dotnet", Path.Combine(AppContext.BaseDirectory, "flops.dll")], .. args];
}
