using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FLOps.Inference;
using FLOps.Learning.Data;
using FLOps.System.Tests.Infrastructure;
using FLOps.System.Tests.Network;
using FLOps.Tls;

namespace FLOps.System.Tests;

/// <summary>
/// Learners in Python (<c>src/python/flops_learner</c>) against a real <c>flops serve</c>: each a
/// process of Debian's python3 with its own MNIST shard from <c>flops data export</c>, speaking the
/// learner protocol over loopback. The softmax learners record the model they downloaded and the
/// update they sent for every task (<c>Python/recording_learner.py</c>), so that the test can
/// check the server's aggregate against the federated average computed here.
/// </summary>
public sealed class PythonLearnerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-python-learners-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Three_python_learners_complete_a_softmax_project_and_each_global_model_is_the_sample_weighted_mean_of_their_updates()
    {
        const int rounds = 3;
        var python = await PythonLearners.InterpreterAsync("numpy.sh");
        await using var serve = await ServeApi.StartAsync();
        var learners = await StartRecordingLearnersAsync(python, serve, ["py-0", "py-1", "py-2"], badName: null);
        using var http = TenantClient(serve);

        var id = await ServeApi.Submit(http, Spec("python-softmax", rounds, minAvailable: 3, minFit: 3));
        var project = await ServeApi.WaitForState(http, id, "Completed", TimeSpan.FromMinutes(3));

        var views = project.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(rounds, views.Count);
        Assert.All(views, round => Assert.Equal(3, round.GetProperty("participants").GetInt32()));
        var records = await RecordsAsync(["py-0", "py-1", "py-2"], rounds);
        for (var round = 1; round <= rounds; round++)
        {
            Assert.All(records, r => Assert.Equal("accepted", r[round].GetProperty("outcome").GetString()));
        }

        CheckGlobalModelsAreWeightedMeans(records, ["py-0", "py-1", "py-2"], rounds);
        foreach (var learner in learners)
        {
            for (var round = 1; round <= rounds; round++)
            {
                Assert.Matches($@"flops learner: task {id}/{round} \(round {round}\): trained on \d+ samples, loss [0-9.]+, update accepted", learner.Stdout);
            }

            Assert.Equal(0, await learner.TerminateAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains($"flops learner: stopped after {rounds} rounds", learner.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_python_learner_that_uploads_one_float_too_many_is_refused_with_422_and_each_round_completes_with_the_others()
    {
        const int rounds = 2;
        var python = await PythonLearners.InterpreterAsync("numpy.sh");
        await using var serve = await ServeApi.StartAsync();
        string[] good = ["good-0", "good-1", "good-2"];
        var learners = await StartRecordingLearnersAsync(python, serve, [.. good, "bad"], badName: "bad");
        var bad = PythonLearners.DeviceIdOf(learners[^1]);
        using var http = TenantClient(serve);

        // Every registered device is selected, the bad one too; 3 updates are enough for a round.
        var id = await ServeApi.Submit(http, Spec("python-bad-layout", rounds, minAvailable: 4, minFit: 3));
        var project = await ServeApi.WaitForState(http, id, "Completed", TimeSpan.FromMinutes(3));

        foreach (var round in project.GetProperty("rounds").EnumerateArray())
        {
            Assert.Equal(4, round.GetProperty("selected").GetInt32());
            Assert.Equal(3, round.GetProperty("participants").GetInt32());
            var failure = Assert.Single(round.GetProperty("failures").EnumerateArray());
            Assert.Equal(bad, failure.GetProperty("deviceId").GetString());

            // The learner gives the refused task back, so the round goes on without waiting for its deadline.
            Assert.Contains("declined the task: the gateway refused the update (malformed)", failure.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        var badRecords = (await RecordsAsync(["bad"], rounds))[0];
        for (var round = 1; round <= rounds; round++)
        {
            Assert.Equal(("refused", 422, "malformed"), (badRecords[round].GetProperty("outcome").GetString(), badRecords[round].GetProperty("status").GetInt32(), badRecords[round].GetProperty("refusal").GetString()));
            Assert.Matches($@"flops learner: task {id}/{round} \(round {round}\): trained on \d+ samples, loss [0-9.]+, update refused \(422\): ", learners[^1].Stdout);
        }

        CheckGlobalModelsAreWeightedMeans(await RecordsAsync(good, rounds), good, rounds);
    }

    [Fact]
    public async Task The_numpy_example_learner_trains_over_https_trusting_the_private_ca_it_is_given_and_one_without_it_cannot_register()
    {
        var python = await PythonLearners.InterpreterAsync("numpy.sh");
        var certificates = Path.Combine(_directory, "certs");
        await EdgeNetwork.CreateCertificatesAsync(certificates, [IPAddress.Loopback]);
        var authority = Path.Combine(certificates, ClusterCertificates.AuthorityCertificateFile);
        var gateway = $"https://127.0.0.1:{CommandProcess.FreePort()}";
        await using var serve = await CommandProcess.StartAsync(
            ["serve", "--urls", gateway, .. EdgeNetwork.TlsArguments(certificates, IPAddress.Loopback)],
            "flops serve: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = $"a:{ServeApi.KeyOfA}" });
        await PythonLearners.ExportShardAsync(0, 4, Shard("tls"));
        var example = Path.Combine(PythonLearners.SourceRoot, "examples", "numpy_softmax", "learner.py");
        string[] arguments = ["--gateway", gateway, "--api-key", ServeApi.KeyOfA, "--shard", Shard("tls"), "--max-tasks", "1"];

        await using var trusting = await PythonLearners.StartAsync(python, example, [.. arguments, "--ca", authority, "--name", "with-ca"]);
        await using var untrusting = CommandProcess.Launch(
            [.. arguments, "--name", "without-ca"], "flops learner: registered", environment: PythonLearners.Environment, launcher: Launcher.Local.Running([python, "-u", example]));
        using var http = new HttpClient(PrivateAuthority.TrustingHandler(authority)) { BaseAddress = new Uri(gateway) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServeApi.KeyOfA);
        var id = await ServeApi.Submit(http, Spec("python-over-https", rounds: 1, minAvailable: 1, minFit: 1));
        await ServeApi.WaitForState(http, id, "Completed", TimeSpan.FromMinutes(2));

        // --max-tasks 1: the learner stops by itself once its one task is answered.
        Assert.Equal(0, await trusting.ExitCodeWithin(TimeSpan.FromMinutes(1)));
        Assert.Matches($@"flops learner: task {id}/1 \(round 1\): trained on 2000 samples, loss [0-9.]+, update accepted", trusting.Stdout);
        Assert.True(await untrusting.PrintsWithin("certificate verify failed", TimeSpan.FromMinutes(1)), untrusting.Log);
        Assert.DoesNotContain("flops learner: registered", untrusting.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pytorch_example_exports_its_cnn_as_onnx_under_its_parameter_names_and_trains_it_on_a_shard_as_a_task_of_that_layout()
    {
        var python = await PythonLearners.InterpreterAsync("torch.sh");
        var model = Path.Combine(_directory, "cnn.onnx");
        var shard = Path.Combine(_directory, "shard.npz");
        await PythonLearners.ExportShardAsync(0, 20, shard);

        var export = await PythonLearners.RunAsync(python, Path.Combine(PythonLearners.SourceRoot, "examples", "pytorch_mnist", "export_onnx.py"), "--out", model);
        var smoke = await PythonLearners.RunAsync(python, PythonLearners.TestScript("torch_smoke.py"), model, shard);

        output.WriteLine(export.LastLine);
        output.WriteLine(smoke.LastLine);
        Assert.StartsWith($"wrote {model}: 9098 parameters in 6 tensors", export.LastLine, StringComparison.Ordinal);
        var result = JsonDocument.Parse(smoke.LastLine).RootElement;
        Assert.Equal(
            ["conv1.weight[8, 1, 3, 3]", "conv1.bias[8]", "conv2.weight[16, 8, 3, 3]", "conv2.bias[16]", "fc.weight[10, 784]", "fc.bias[10]"],
            result.GetProperty("layout").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(400, result.GetProperty("samples").GetInt32());
        Assert.Equal(9098 * sizeof(float), result.GetProperty("updateBytes").GetInt32());
        Assert.True(result.GetProperty("changed").GetBoolean());
        Assert.True(result.GetProperty("secondLoss").GetDouble() < result.GetProperty("firstLoss").GetDouble(), smoke.LastLine);
    }

    /// <summary>
    /// Issue 15's promise end to end: a PyTorch model, exported to ONNX by the example, submitted
    /// with <c>flops submit --model</c>, trained by three PyTorch learners on their own shards,
    /// downloaded with <c>--out</c> and scored through ML.NET on the 2,000 held-out digits.
    /// </summary>
    [Fact]
    public async Task Three_pytorch_learners_train_an_uploaded_onnx_cnn_submitted_with_flops_submit_and_the_downloaded_model_scores_at_least_095()
    {
        const int rounds = 5;
        var python = await PythonLearners.InterpreterAsync("torch.sh");
        var example = Path.Combine(PythonLearners.SourceRoot, "examples", "pytorch_mnist");
        var model = Path.Combine(_directory, "cnn.onnx");
        await PythonLearners.RunAsync(python, Path.Combine(example, "export_onnx.py"), "--out", model);
        await using var serve = await ServeApi.StartAsync();
        var gateway = serve.Url.GetLeftPart(UriPartial.Authority);
        var learners = new List<CommandProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var shard = Path.Combine(_directory, $"shard-{i}.npz");
                await PythonLearners.ExportShardAsync(i, 3, shard);
                learners.Add(await PythonLearners.StartAsync(python, Path.Combine(example, "learner.py"), "--gateway", gateway, "--api-key", ServeApi.KeyOfA, "--shard", shard, "--name", $"torch-{i}"));
            }

            var spec = Path.Combine(_directory, "spec.json");
            await File.WriteAllTextAsync(spec, JsonSerializer.Serialize(new
            {
                name = "pytorch-cnn",
                dataTag = "mnist",
                training = new { rounds, localEpochs = 2, batchSize = 32, learningRate = 0.1, minFitClients = 3, minAvailableClients = 3, roundTimeoutSeconds = 300 },
            }));
            var submit = await ExternalCommand.RunAsync(
                "dotnet",
                [Path.Combine(AppContext.BaseDirectory, "flops.dll"), "submit", spec, "--model", model, "--out", _directory, "--json", "--gateway", gateway, "--api-key", ServeApi.KeyOfA],
                timeout: TimeSpan.FromMinutes(8));
            output.WriteLine(submit.Stdout);
            Assert.True(submit.ExitCode == 0, submit.Stderr + submit.Stdout);
            Assert.Matches(@"^model m-[0-9a-f]+: 9098 parameters in 6 tensors$", submit.Stdout.Split('\n')[0].Trim());
            var result = JsonDocument.Parse(submit.LastLine).RootElement;
            Assert.Equal("Completed", result.GetProperty("state").GetString());

            using var http = TenantClient(serve);
            var project = await ServeApi.Project(http, result.GetProperty("id").GetString()!);
            var views = project.GetProperty("rounds").EnumerateArray().ToList();
            Assert.Equal(rounds, views.Count);
            Assert.All(views, round => Assert.Equal(3, round.GetProperty("participants").GetInt32()));
            foreach (var round in views)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round.GetProperty("round")}: accuracy {round.GetProperty("accuracy").GetDouble():F4}, {round.GetProperty("seconds").GetDouble():F1} s"));
            }

            var downloaded = await File.ReadAllBytesAsync(result.GetProperty("model").GetString()!);
            using var scorer = new OnnxModelScorer(downloaded, Mnist.FeatureCount, Mnist.ClassCount);
            var accuracy = scorer.Evaluate(Mnist.Load().Test).MicroAccuracy;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"downloaded model, scored through ML.NET: accuracy {accuracy:F4}"));
            Assert.True(accuracy >= 0.95, $"accuracy {accuracy}");
            Assert.Equal(views[^1].GetProperty("accuracy").GetDouble(), accuracy, 6);
        }
        finally
        {
            foreach (var learner in learners)
            {
                await learner.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_python_packages_own_tests_pass()
    {
        var python = await PythonLearners.InterpreterAsync("numpy.sh");

        var run = await ExternalCommand.RunAsync(
            python, ["-m", "unittest", "discover", "-s", Path.Combine(PythonLearners.SourceRoot, "tests"), "-t", PythonLearners.SourceRoot], PythonLearners.Environment);

        output.WriteLine(run.Stderr);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("\nOK", run.Stderr, StringComparison.Ordinal);
    }

    private async Task<List<CommandProcess>> StartRecordingLearnersAsync(string python, ServeApi serve, string[] names, string? badName)
    {
        await Task.WhenAll(names.Select((name, k) => PythonLearners.ExportShardAsync(k, names.Length, Shard(name))));
        return [.. await Task.WhenAll(names.Select(name => PythonLearners.StartAsync(
            python,
            PythonLearners.TestScript("recording_learner.py"),
            ["--gateway", serve.Url.ToString(), "--api-key", ServeApi.KeyOfA, "--shard", Shard(name), "--name", name, "--record", _directory, .. name == badName ? ["--extra-float"] : Array.Empty<string>()])))];
    }

    private string Shard(string name) => Path.Combine(_directory, name + ".npz");

    private static HttpClient TenantClient(ServeApi serve)
    {
        var http = new HttpClient { BaseAddress = serve.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServeApi.KeyOfA);
        return http;
    }

    private static object Spec(string name, int rounds, int minAvailable, int minFit) => new
    {
        name,
        dataTag = "mnist",
        model = new { kind = "softmax" },
        strategy = new { name = "fedavg" },

        // A round closes when every participant has answered; the deadline is only a backstop.
        training = new { rounds, batchSize = 16, learningRate = 0.5, minFitClients = minFit, minAvailableClients = minAvailable, roundTimeoutSeconds = 120 },
    };

    /// <summary>
    /// Each learner's record of each round (its JSON, keyed by round). A learner writes a round's
    /// record after the gateway answered its update, so the last round's may come just after the
    /// project completed: this waits for them, boundedly.
    /// </summary>
    private async Task<List<Dictionary<int, JsonElement>>> RecordsAsync(IReadOnlyList<string> names, int rounds)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var paths = names.Select(name => Enumerable.Range(1, rounds).Select(r => Record(name, r, "json")).ToList()).ToList();
        while (!paths.SelectMany(p => p).All(File.Exists))
        {
            Assert.True(DateTime.UtcNow < deadline, "missing records: " + string.Join(", ", paths.SelectMany(p => p).Where(p => !File.Exists(p))));
            await Task.Delay(100);
        }

        return [.. paths.Select(list => list.Select((path, i) => (Round: i + 1, Json: JsonDocument.Parse(File.ReadAllText(path)).RootElement)).ToDictionary(e => e.Round, e => e.Json))];
    }

    private string Record(string name, int round, string extension) => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{name}.r{round}.{extension}"));

    /// <summary>
    /// The global model of round r+1, as every learner downloaded it, is FedAvg of round r's
    /// accepted updates: Σ nᵢ·wᵢ / Σ nᵢ (no server learning rate), within 1e-6 of each value.
    /// </summary>
    private void CheckGlobalModelsAreWeightedMeans(List<Dictionary<int, JsonElement>> records, IReadOnlyList<string> names, int rounds)
    {
        for (var round = 1; round < rounds; round++)
        {
            var next = names.Select(name => PythonLearners.ReadFloats(Record(name, round + 1, "base.f32"))).ToList();
            Assert.All(next, model => Assert.Equal(next[0], model));

            var sum = new double[next[0].Length];
            var weight = 0L;
            for (var k = 0; k < names.Count; k++)
            {
                if (records[k][round].GetProperty("outcome").GetString() != "accepted")
                {
                    continue;
                }

                var samples = records[k][round].GetProperty("samples").GetInt64();
                var update = PythonLearners.ReadFloats(Record(names[k], round, "update.f32"));
                Assert.Equal(sum.Length, update.Length);
                for (var i = 0; i < sum.Length; i++)
                {
                    sum[i] += samples * (double)update[i];
                }

                weight += samples;
            }

            Assert.True(weight > 0, $"no accepted update in round {round}");
            var largest = 0.0;
            for (var i = 0; i < sum.Length; i++)
            {
                var difference = Math.Abs(sum[i] / weight - next[0][i]);
                largest = Math.Max(largest, difference);
                Assert.True(difference <= 1e-6, string.Create(CultureInfo.InvariantCulture, $"round {round + 1}'s model differs from the weighted mean of round {round}'s updates at {i}: {next[0][i]} vs {sum[i] / weight}"));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {weight} samples, largest difference from the weighted mean {largest:E2}"));
        }
    }
}
