using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.Inference;
using FLOps.Learning.Data;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary><c>flops serve</c> and three <c>flops learner</c> processes on loopback, each with its own MNIST shard.</summary>
public sealed class LearnerTests(ITestOutputHelper output)
{
    private const string Key = "learner-test-key";

    [Fact]
    public async Task Three_real_learners_train_a_project_and_losing_one_mid_project_does_not_fail_it()
    {
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        var environment = new Dictionary<string, string> { ["FLOPS_API_KEYS"] = Key };
        await using var serve = await CommandProcess.StartAsync(["serve", "--urls", url], "flops serve: listening", environment: environment);
        var learners = new List<CommandProcess>();
        for (var shard = 0; shard < 3; shard++)
        {
            learners.Add(await CommandProcess.StartAsync(["learner", "--gateway", url, "--api-key", Key, "--data", $"mnist:shard={shard}/3"], "flops learner: registered"));
        }

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var spec = new
        {
            name = "real-devices",
            dataTag = "mnist",
            model = new { kind = "softmax" },
            training = new { rounds = 5, batchSize = 16, learningRate = 0.5, minFitClients = 2, minAvailableClients = 3, roundTimeoutSeconds = 8 },
        };
        var created = await http.PostAsJsonAsync("/api/v1/projects", spec);
        created.EnsureSuccessStatusCode();
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await WaitFor(http, id, p => p.GetProperty("rounds").GetArrayLength() >= 2);
        learners[2].Kill();
        var ended = await WaitFor(http, id, p => p.GetProperty("state").GetString() is "Completed" or "Failed" or "Cancelled");

        Assert.Equal("Completed", ended.GetProperty("state").GetString());
        var rounds = ended.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(5, rounds.Count);
        Assert.Equal(3, rounds[0].GetProperty("participants").GetInt32());
        Assert.Equal(2, rounds[^1].GetProperty("participants").GetInt32());
        var onnx = await http.GetByteArrayAsync($"/api/v1/projects/{id}/model");
        using var scorer = new OnnxModelScorer(onnx, Mnist.FeatureCount, Mnist.ClassCount);
        var accuracy = scorer.Evaluate(Mnist.Load().Test).MicroAccuracy;
        output.WriteLine($"ML.NET accuracy of the model trained on 3 (then 2) real learners: {accuracy:F4}");
        Assert.True(accuracy >= 0.85, $"accuracy {accuracy}");
        foreach (var learner in learners)
        {
            await learner.DisposeAsync();
        }
    }

    private static async Task<JsonElement> WaitFor(HttpClient http, string id, Func<JsonElement, bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var project = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/projects/{id}", limit.Token)).RootElement;
            if (condition(project))
            {
                return project;
            }

            await Task.Delay(200, limit.Token);
        }
    }
}
