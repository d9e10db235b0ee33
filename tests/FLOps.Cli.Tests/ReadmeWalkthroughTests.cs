using System.Runtime.Versioning;
using FLOps.Cli.Tests.Docs;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19, items 4 and 6: "Your first project with your own data" runs as a newcomer pastes it
/// into bash: its block word for word, with <c>flops</c> the built command and the gateway's port
/// one that is free, so that a step out of order or a claim that no longer holds fails here.
/// </summary>
[SupportedOSPlatform("linux")]   // the block is a bash script
public sealed class ReadmeWalkthroughTests : IDisposable
{
    private const string Heading = "## Your first project with your own data";

    private readonly string _directory = Directory.CreateTempSubdirectory("flops-walkthrough-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_walkthrough_block_run_by_bash_trains_the_project_on_its_two_learners_and_writes_the_model()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var headingLine = readme.AsSpan(0, readme.IndexOf(Heading, StringComparison.Ordinal)).Count('\n') + 1;
        var block = CodeBlock.In("README.md", readme).First(b => b.Language == "bash" && b.FirstLine > headingLine);
        var url = $"http://127.0.0.1:{ServeFixture.FreePort()}";
        var script = block.Code
            .Replace("http://127.0.0.1:5080", url, StringComparison.Ordinal)
            .Replace("flops serve", $"flops serve --urls {url}", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_directory, "walkthrough.sh"), "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script);
        var tools = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        var flops = Path.Combine(tools, "flops");
        await File.WriteAllTextAsync(flops, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "flops.dll")}' \"$@\"\n");
        File.SetUnixFileMode(flops, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var run = await FlopsProcess.RunProgramAsync(
            "bash", ["walkthrough.sh"], new Dictionary<string, string> { ["PATH"] = $"{tools}:{Environment.GetEnvironmentVariable("PATH")}" }, _directory, TimeSpan.FromMinutes(5));

        var said = run.StandardOutput + run.StandardError;
        Assert.True(run.ExitCode == 0, said);
        Assert.Contains("listening on", said, StringComparison.Ordinal);
        Assert.Equal(2, run.OutputLines.Count(l => l.Contains("registered as d-", StringComparison.Ordinal)));
        var model = Assert.Single(Directory.GetFiles(Path.Combine(_directory, "models"), "*.onnx"));
        Assert.True(new FileInfo(model).Length > 1000, said);
        var listed = Assert.Single(run.OutputLines, l => l.Contains(Path.GetFileNameWithoutExtension(model), StringComparison.Ordinal) && l.Contains("my-digits", StringComparison.Ordinal));
        Assert.Contains("Completed", listed, StringComparison.Ordinal);
    }
}
