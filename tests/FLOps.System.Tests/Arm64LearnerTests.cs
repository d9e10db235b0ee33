using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>
/// An arm64 edge device: the self-contained linux-arm64 flops, under qemu on this x64 machine, as a
/// learner beside an x64 learner, both registered with an x64 <c>flops serve</c>. Alone in its
/// collection: the publish and the emulation keep both cores busy, which would stretch the timed
/// tests running beside them.
/// </summary>
[Collection(Arm64Collection.Name)]
public sealed class Arm64LearnerTests(ITestOutputHelper output)
{
    private const int Rounds = 2;

    [Fact]
    public async Task An_arm64_learner_under_qemu_and_an_x64_learner_complete_a_project_on_registered_devices()
    {
        var arm64 = await Arm64Flops.PrepareAsync();
        output.WriteLine($"linux-arm64 publish: {arm64.PublishTime.TotalSeconds:F0} s, {new FileInfo(arm64.Binary).Length / 1e6:F0} MB");
        await using var serve = await ServeApi.StartAsync();
        var gateway = serve.Url.GetLeftPart(UriPartial.Authority);

        var starting = Stopwatch.StartNew();
        await using var armLearner = await arm64.StartAsync(
            ["learner", "--gateway", gateway, "--api-key", ServeApi.KeyOfA, "--data", "mnist:shard=0/2", "--name", "arm64-device"],
            "flops learner: registered",
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" });   // as flops-learner@.service runs it
        output.WriteLine($"arm64 learner registered {starting.Elapsed.TotalSeconds:F1} s after its start");
        await using var x64Learner = await CommandProcess.StartAsync(
            ["learner", "--gateway", gateway, "--api-key", ServeApi.KeyOfA, "--data", "mnist:shard=1/2", "--name", "x64-device"], "flops learner: registered");

        using var http = new HttpClient { BaseAddress = serve.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServeApi.KeyOfA);
        var id = await ServeApi.Submit(http, new
        {
            name = "arm64-and-x64",
            dataTag = "mnist",
            model = new { kind = "softmax" },
            // The emulated first round took 21 s on an idle machine: the deadline is far from it.
            training = new { rounds = Rounds, batchSize = 16, learningRate = 0.5, minFitClients = 2, minAvailableClients = 2, roundTimeoutSeconds = 240 },
        });
        var project = await ServeApi.WaitForState(http, id, "Completed", TimeSpan.FromMinutes(9));

        var rounds = project.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(Rounds, rounds.Count);
        foreach (var round in rounds)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round.GetProperty("round")}: {round.GetProperty("seconds").GetDouble():F1} s, {round.GetProperty("participants")} participants"));
            Assert.True(round.GetProperty("participants").GetInt32() == 2, project.ToString());
            Assert.Equal(0, round.GetProperty("failures").GetArrayLength());
        }

        for (var round = 1; round <= Rounds; round++)
        {
            Assert.Matches($@"flops learner: task {id}/{round} \(round {round}\): trained on \d+ samples, loss [0-9.]+, update accepted", armLearner.Stdout);
        }

        // run.sh execs the emulator, which hands SIGTERM to flops: the learner stops as under a
        // service manager, with the code the x64 learner gives too (143, System.CommandLine's for SIGTERM).
        var exitCode = await armLearner.TerminateAsync(TimeSpan.FromMinutes(1));
        Assert.True(exitCode is 0 or 143, $"exit code {exitCode}:\n{armLearner.Log}");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64Collection
{
    public const string Name = "arm64 under qemu";
}
