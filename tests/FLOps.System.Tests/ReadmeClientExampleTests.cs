using System.Globalization;
using System.Text.RegularExpressions;
using FLOps.Hosting;
using FLOps.Inference;
using FLOps.Learning.Data;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>
/// Issue 19: the README's .NET client example compiles and runs as a newcomer would use it. It is
/// <c>tests/FLOps.Examples.Client/Program.cs</c> to the character, a console program with the two
/// references the README names, run here against a real silo on a real PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class ReadmeClientExampleTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly string ExampleProject = Path.Combine(PostgresFixture.RepositoryRoot, "tests", "FLOps.Examples.Client");

    private static readonly string ExampleProgram = Path.Combine(ExampleProject, "Program.cs");

    /// <summary>The example's build of this test run's configuration (…/bin/Release/net10.0/ here, the same there).</summary>
    private static string ExampleBuild
    {
        get
        {
            var framework = new DirectoryInfo(AppContext.BaseDirectory);
            return Path.Combine(ExampleProject, "bin", framework.Parent!.Name, framework.Name, "FLOps.Examples.Client.dll");
        }
    }

    [Fact]
    public void The_readme_client_example_is_the_example_program_word_for_word()
    {
        var readme = File.ReadAllText(Path.Combine(PostgresFixture.RepositoryRoot, "README.md"));
        var blocks = CSharpBlock().Matches(readme);

        var block = Assert.Single(blocks).Groups["code"].Value;
        Assert.Equal(File.ReadAllText(ExampleProgram), block);
    }

    [Fact]
    public async Task The_readme_client_example_trains_its_project_on_a_real_cluster_and_writes_a_model_that_ml_net_scores()
    {
        // The example builds its client with the default cluster and service ids, as a silo started
        // without --cluster-id has them.
        await using var silo = await CommandProcess.StartAsync(postgres.ConnectionString, PostgresCluster.DefaultClusterId);
        var directory = Directory.CreateTempSubdirectory("flops-client-example-").FullName;

        var run = await ExternalCommand.RunAsync(
            "dotnet", [ExampleBuild, postgres.ConnectionString], timeout: TimeSpan.FromMinutes(5), workingDirectory: directory);

        output.WriteLine(run.Stdout);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches("(?m)^Completed round 10: 0\\.\\d+", run.Stdout);
        using var scorer = new OnnxModelScorer(await File.ReadAllBytesAsync(Path.Combine(directory, "model.onnx")), Mnist.FeatureCount, Mnist.ClassCount);
        var accuracy = scorer.Evaluate(Mnist.Load().Test).MicroAccuracy;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model.onnx scored through ML.NET: accuracy {accuracy:F4}"));
        Assert.True(accuracy >= 0.9, $"accuracy {accuracy}");
    }

    [GeneratedRegex("```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
