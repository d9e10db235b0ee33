namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19: <c>flops</c> is a command, installed from a clone exactly as the README says:
/// <c>dotnet pack src/FLOps.Cli</c>, then <c>dotnet tool install --add-source</c>; here into a
/// tool path of the test's own, under a version of its own (an installed version is cached by
/// NuGet, so a fixed one would install yesterday's package), through a NuGet cache of its own
/// (so that the test leaves no package behind).
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_packed_tool_installs_as_flops_and_answers_help()
    {
        var packages = Path.Combine(_directory, "nupkg");
        var tools = Path.Combine(_directory, "tools");
        var version = $"0.0.0-test.{Guid.NewGuid():N}";

        var pack = await Run("dotnet", "pack", Path.Combine(Repository.Root, "src", "FLOps.Cli"), "-c", "Release", "-o", packages, $"-p:Version={version}", "-nologo", "-v", "q");
        Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);
        var install = await Run("dotnet", "tool", "install", "--tool-path", tools, "--add-source", packages, "--version", version, "FLOps.Cli");
        Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.Output);
        var help = await Run(Path.Combine(tools, "flops"), "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("flops [command] [options]", help.Output, StringComparison.Ordinal);
        Assert.Contains("demo", help.Output, StringComparison.Ordinal);
        Assert.Contains("learner", help.Output, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output)> Run(string command, params string[] args)
    {
        // A NuGet cache of its own for the install, so that the test leaves no package behind.
        var environment = args is ["tool", ..] ? new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_directory, "nuget-cache") } : [];
        var run = await FlopsProcess.RunProgramAsync(command, args, environment, _directory, TimeSpan.FromMinutes(15));
        return (run.ExitCode, run.StandardOutput + run.StandardError);
    }
}
