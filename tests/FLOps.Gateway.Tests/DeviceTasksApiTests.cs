using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class DeviceTasksApiTests(GatewayFixture gateway)
{
    private const int SoftmaxFourByTwo = (2 * 4) + 2;

    private static string NewTag() => "tag-" + Guid.NewGuid().ToString("N")[..8];

    private static object RealDeviceSpec(string tag, int rounds = 1, int minFit = 1, int timeoutSeconds = 60) => new
    {
        name = "real-device",
        dataTag = tag,
        model = new { kind = "softmax", inputs = 4, classes = 2 },
        training = new { rounds, minFitClients = minFit, minAvailableClients = minFit, roundTimeoutSeconds = timeoutSeconds },
    };

    private async Task<string> Submit(HttpClient tenant, object spec)
    {
        var created = await tenant.PostAsJsonAsync("/api/v1/projects", spec);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_registered_device_pulls_its_task_and_model_and_uploads_once_for_that_task()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag));

        var task = (await device.NextTask())!;
        Assert.Equal(projectId, task.ProjectId);
        Assert.Equal(SoftmaxFourByTwo, task.ParameterCount);
        Assert.Equal(["W:2x4", "b:2"], task.Layout!.Select(t => $"{t.Name}:{string.Join('x', t.Shape)}"));
        var model = await device.Get(LearnerRoutes.Model(task.ModelHash));
        Assert.Equal(SoftmaxFourByTwo * sizeof(float), (await model.Content.ReadAsByteArrayAsync()).Length);

        var wrongShape = await device.Upload(task, new float[3]);
        var notFinite = await device.Upload(task, [float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var accepted = await device.Upload(task, Enumerable.Range(0, SoftmaxFourByTwo).Select(i => i * 0.1f).ToArray());
        var again = await device.Upload(task);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongShape.StatusCode);
        Assert.Equal("malformed", await LearnerDevice.Refusal(wrongShape));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notFinite.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("wrongTask", await LearnerDevice.Refusal(again));
        var done = await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
        Assert.Equal(1, done.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
    }

    [Fact]
    public async Task An_idle_long_poll_asks_its_device_once_and_makes_no_grain_calls_while_it_waits()
    {
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, NewTag());
        var before = gateway.Calls.To(device.Id);

        Assert.Null(await device.NextTask(waitSeconds: 2));

        Assert.Equal(1, gateway.Calls.To(device.Id) - before);
    }

    [Fact]
    public async Task A_task_that_arrives_while_a_long_poll_waits_is_pushed_to_it()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var before = gateway.Calls.To(device.Id);
        var poll = device.NextTask(waitSeconds: 30);
        await WaitUntil(() => gateway.Calls.To(device.Id) > before);

        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag));

        // The gateway asked the device before the task existed: only the device's push can answer before the 30 s.
        var task = await poll;
        Assert.Equal(projectId, task!.ProjectId);
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(task)).StatusCode);
        await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    [Fact]
    public async Task The_task_carries_the_specs_local_training_momentum_included()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, new
        {
            name = "momentum",
            dataTag = tag,
            model = new { kind = "softmax", inputs = 4, classes = 2 },
            training = new { rounds = 1, minFitClients = 1, minAvailableClients = 1, localEpochs = 2, batchSize = 8, learningRate = 0.05, momentum = 0.9 },
        });

        var task = (await device.NextTask())!;
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(task, new float[SoftmaxFourByTwo])).StatusCode);

        Assert.Equal((2, 8, 0.05, 0.9), (task.LocalEpochs, task.BatchSize, task.LearningRate, task.Momentum));
        await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
    }

    [Fact]
    public async Task An_update_must_name_its_task_and_the_model_it_was_trained_from()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag));
        var task = (await device.NextTask())!;

        var unnamed = await device.Upload("", task.ModelHash, new float[SoftmaxFourByTwo]);
        var otherTask = await device.Upload(task.TaskId + "x", task.ModelHash, new float[SoftmaxFourByTwo]);
        var staleModel = await device.Upload(task.TaskId, new string('0', 64), new float[SoftmaxFourByTwo]);
        var hugeSamples = await device.Upload(task, samples: long.MaxValue - 1);

        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "wrongTask"), (otherTask.StatusCode, await LearnerDevice.Refusal(otherTask)));
        Assert.Equal((HttpStatusCode.Conflict, "stale"), (staleModel.StatusCode, await LearnerDevice.Refusal(staleModel)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "malformed"), (hugeSamples.StatusCode, await LearnerDevice.Refusal(hugeSamples)));

        // None of them used up the task: the right update still counts.
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(task)).StatusCode);
        var metrics = await gateway.ScrapeMetricsUntil(m => CountsRefusal(m, projectId, "refused", "stale"));
        Assert.True(CountsRefusal(metrics, projectId, "refused", "stale"));
        Assert.True(CountsRefusal(metrics, projectId, "rejected", "sample_count"));
    }

    [Theory]
    [InlineData(2.5e20)]
    [InlineData(-1e300)]
    public async Task The_update_route_carries_a_loss_of_any_magnitude_exactly(double loss)
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag));
        var task = (await device.NextTask())!;

        var accepted = await device.Post(LearnerRoutes.Update(task.TaskId, task.ModelHash, 1, loss), new byte[SoftmaxFourByTwo * sizeof(float)]);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var done = await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
        Assert.Equal(loss, done.GetProperty("rounds")[0].GetProperty("trainingLoss").GetDouble());
    }

    [Fact]
    public async Task A_huge_but_finite_loss_on_a_huge_sample_count_counts_and_leaves_the_project_readable()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag));
        var task = (await device.NextTask())!;

        var accepted = await device.Post(LearnerRoutes.Update(task.TaskId, task.ModelHash, 1_000_000_000, 1e308), new byte[SoftmaxFourByTwo * sizeof(float)]);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var done = await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
        Assert.Equal(1e308, done.GetProperty("rounds")[0].GetProperty("trainingLoss").GetDouble());
        Assert.Equal(HttpStatusCode.OK, (await gateway.TenantA.GetAsync("/api/v1/projects")).StatusCode);
    }

    [Fact]
    public async Task A_second_project_on_the_same_tag_does_not_take_the_first_ones_task_and_each_update_counts_only_for_its_own()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var first = await Submit(gateway.TenantA, RealDeviceSpec(tag));
        var firstTask = (await device.NextTask())!;
        var second = await Submit(gateway.TenantA, RealDeviceSpec(tag));

        var parameters = Enumerable.Range(0, SoftmaxFourByTwo).Select(i => i * 0.01f).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(firstTask, parameters)).StatusCode);
        var secondTask = (await device.NextTask())!;
        Assert.Equal(second, secondTask.ProjectId);
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(secondTask, parameters.Select(p => -p).ToArray())).StatusCode);

        var firstDone = await gateway.WaitForState(gateway.TenantA, first, "Completed");
        var secondDone = await gateway.WaitForState(gateway.TenantA, second, "Completed");
        Assert.Equal(first, firstTask.ProjectId);
        Assert.Equal(1, firstDone.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
        Assert.Equal(1, secondDone.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
        Assert.NotEqual(await Model(first), await Model(second));
    }

    [Fact]
    public async Task Devices_of_another_tenant_never_get_a_projects_task_or_model_whatever_their_tags()
    {
        var tag = NewTag();
        var intruder = await LearnerDevice.Register(gateway, gateway.TenantB, tag);
        var ownDevice = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectOfA = await Submit(gateway.TenantA, RealDeviceSpec(tag));

        var ownTask = (await ownDevice.NextTask())!;
        Assert.Null(await intruder.NextTask(waitSeconds: 1));
        var stolenModel = await intruder.Get(LearnerRoutes.Model(ownTask.ModelHash));
        var poisoned = await intruder.Upload(ownTask, Enumerable.Repeat(1e6f, SoftmaxFourByTwo).ToArray());

        Assert.Equal(HttpStatusCode.NotFound, stolenModel.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "wrongTask"), (poisoned.StatusCode, await LearnerDevice.Refusal(poisoned)));
        Assert.Equal(HttpStatusCode.OK, (await ownDevice.Upload(ownTask)).StatusCode);
        var done = await gateway.WaitForState(gateway.TenantA, projectOfA, "Completed");
        Assert.Equal(1, done.GetProperty("rounds")[0].GetProperty("selected").GetInt32());
    }

    [Fact]
    public async Task A_declined_task_is_gone_and_its_round_leaves_the_device_out_at_once()
    {
        var tag = NewTag();
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var projectId = await Submit(gateway.TenantA, RealDeviceSpec(tag, timeoutSeconds: 3600));
        var task = (await device.NextTask())!;

        var declined = await device.Decline(task.TaskId, "the model takes 4 features but the local data has 3");
        var declinedAgain = await device.Decline(task.TaskId, "again");

        Assert.Equal(HttpStatusCode.NoContent, declined.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, declinedAgain.StatusCode);
        Assert.Null(await device.NextTask(waitSeconds: 0));
        var failed = await gateway.WaitForState(gateway.TenantA, projectId, "Failed");
        Assert.Contains("declined the task: the model takes 4 features", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_made_up_device_or_token_is_401_and_activates_no_device_grain()
    {
        var management = gateway.Grains.GetGrain<IManagementGrain>(0);
        var before = await DeviceActivations(management);
        var stranger = gateway.Client("unused");
        stranger.DefaultRequestHeaders.Authorization = null;
        stranger.DefaultRequestHeaders.Add(LearnerRoutes.TokenHeader, "not-the-token");

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => stranger.GetAsync(LearnerRoutes.Device($"d-made-up-{i}") + LearnerRoutes.NextTask(0))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
        Assert.Equal(before, await DeviceActivations(management));
    }

    private static bool CountsRefusal(string metrics, string projectId, string outcome, string reason) =>
        metrics.Split('\n').Any(line => line.StartsWith("flops_updates_received_total{", StringComparison.Ordinal)
            && line.Contains($"project=\"{projectId}\"", StringComparison.Ordinal)
            && line.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal)
            && line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal));

    private static async Task<int> DeviceActivations(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics()).Where(s => s.GrainType.Contains("DeviceGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);

    private async Task<string> Model(string projectId) =>
        Convert.ToHexString(await (await gateway.TenantA.GetAsync($"/api/v1/projects/{projectId}/model")).Content.ReadAsByteArrayAsync());
}
