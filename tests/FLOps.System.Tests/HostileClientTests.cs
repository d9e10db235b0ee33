using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FLOps.Grains.Services;
using FLOps.Protocol;
using FLOps.Storage;
using FLOps.System.Tests.Infrastructure;
using Npgsql;

namespace FLOps.System.Tests;

/// <summary>
/// Hostile tenants, devices and inputs (issue 13) through real HTTP against a real <c>flops serve</c>:
/// one in-memory process shared by the class, and processes of their own for a restart on
/// PostgreSQL and for limits set in the environment. Whatever a test sends, no answer it gets is
/// a server error: every client records its answers and each test ends by checking them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HostileClientTests : IClassFixture<InMemoryServe>, IDisposable
{
    private const string ProblemJson = "application/problem+json";
    private const long MegaByte = 1024 * 1024;

    private readonly ServeApi _serve;
    private readonly PostgresFixture _postgres;
    private readonly AnswerLog _answers = new();
    private readonly HttpClient _tenantA;
    private readonly HttpClient _tenantB;

    public HostileClientTests(InMemoryServe serve, PostgresFixture postgres)
    {
        ArgumentNullException.ThrowIfNull(serve);
        _serve = serve.Api;
        _postgres = postgres;
        _tenantA = _answers.Client(_serve.Url, ServeApi.KeyOfA);
        _tenantB = _answers.Client(_serve.Url, ServeApi.KeyOfB);
    }

    [Fact]
    public async Task A_device_of_another_tenant_on_a_projects_data_tag_gets_neither_its_task_nor_its_model_nor_a_say_in_its_round_both_ways()
    {
        await TheIntruderGetsNothing(owner: _tenantA, intruders: _tenantB);
        await TheIntruderGetsNothing(owner: _tenantB, intruders: _tenantA);
    }

    [Fact]
    public async Task An_update_claiming_more_samples_than_allowed_is_422_malformed_is_never_aggregated_and_cancel_still_answers_202()
    {
        var tag = NewTag();
        var device = await RemoteDevice.Register(_answers, _tenantA, tag);
        var projectId = await ServeApi.Submit(_tenantA, RealDeviceSpec(tag, maxSampleCount: 1000));
        var task = (await device.NextTask())!;
        var huge = Enumerable.Repeat(1e30f, task.ParameterCount).ToArray();

        using var overflowing = await device.Upload(task, huge, samples: 9_000_000_000_000_000_000);
        using var overTheProjectsBound = await device.Upload(task, huge, samples: 1001);
        using var valid = await device.Upload(task);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "malformed"), (overflowing.StatusCode, await RemoteDevice.Refusal(overflowing)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "malformed"), (overTheProjectsBound.StatusCode, await RemoteDevice.Refusal(overTheProjectsBound)));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        var done = await ServeApi.WaitForState(_tenantA, projectId, "Completed");
        Assert.Equal(1, done.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
        await AssertTheModelScoresFinitely(_tenantA, projectId);
        using (var cancelled = await Cancel(_tenantA, projectId))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        }

        // A running project whose round was sent overflowing updates cancels cleanly too.
        var running = await ServeApi.Submit(_tenantA, RealDeviceSpec(tag, timeoutSeconds: 3600, maxSampleCount: 1000));
        var runningTask = (await device.NextTask())!;
        using var overflowingAgain = await device.Upload(runningTask, huge, samples: long.MaxValue);
        using var cancelledWhileRunning = await Cancel(_tenantA, running);

        Assert.Equal(running, runningTask.ProjectId);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, overflowingAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, cancelledWhileRunning.StatusCode);
        Assert.Equal("Cancelled", (await ServeApi.Project(_tenantA, running)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task After_a_kill_9_the_resumed_round_skips_a_poisonous_journal_row_and_completes_with_the_devices_real_update()
    {
        var cluster = "hostile-" + Guid.NewGuid().ToString("N")[..10];
        await using var serve = await ServeApi.StartAsync(
            environment: null,
            "--postgres", _postgres.ConnectionString, "--cluster-id", cluster, "--service-id", cluster,
            "--silo-port", FreePort(), "--gateway-port", FreePort(), "--project-tick", "1");
        var tenant = _answers.Client(serve.Url, ServeApi.KeyOfA);
        var tag = NewTag();
        var device = await RemoteDevice.Register(_answers, tenant, tag);
        var projectId = await ServeApi.Submit(tenant, RealDeviceSpec(tag, timeoutSeconds: 300));
        var task = (await device.NextTask())!;

        // What a bug, or a version without today's checks, could have journaled for this device:
        // an update weighted by 4.6e18 samples. The journal key of a round's first attempt is the project id.
        await using (var database = NpgsqlDataSource.Create(_postgres.ConnectionString))
        {
            var poison = new JournaledUpdate(device.Id, Enumerable.Repeat(1e30f, task.ParameterCount).ToArray(), long.MaxValue / 2, 0.5);
            Assert.True(await new PostgresUpdateJournal(database).TryRecordAsync(projectId, task.Round, poison));
        }

        await serve.KillAndRestartAsync();
        await ServeApi.WaitForState(tenant, projectId, "Running");

        // The device's token still holds: it is an HMAC under a key kept in grain state.
        var resumedTask = (await device.NextTask(waitSeconds: 30))!;
        using var accepted = await device.Upload(resumedTask);

        Assert.Equal(task.TaskId, resumedTask.TaskId);
        Assert.Equal((HttpStatusCode.OK, (string?)null), (accepted.StatusCode, await RemoteDevice.Refusal(accepted)));
        Assert.True(await serve.Process.PrintsWithin($"skips the journaled update of {device.Id}", TimeSpan.FromSeconds(30)), serve.Process.Log);
        var done = await ServeApi.WaitForState(tenant, projectId, "Completed");
        Assert.Equal(1, done.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
        await AssertTheModelScoresFinitely(tenant, projectId);
        using var cancelled = await Cancel(tenant, projectId);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
    }

    [Fact]
    public async Task An_update_for_the_first_projects_task_counts_there_and_not_for_a_second_project_that_started_meanwhile_on_the_same_tag()
    {
        var tag = NewTag();
        var device = await RemoteDevice.Register(_answers, _tenantA, tag);
        var first = await ServeApi.Submit(_tenantA, RealDeviceSpec(tag));
        var firstTask = (await device.NextTask())!;
        var second = await ServeApi.Submit(_tenantA, RealDeviceSpec(tag, classes: 3));

        // The device holds the second project's task too once it may download its model (of another shape, so another hash).
        var secondModel = (await ServeApi.Project(_tenantA, second)).GetProperty("modelHash").GetString()!;
        Assert.NotEqual(firstTask.ModelHash, secondModel);
        await Until(
            async () =>
            {
                using var model = await device.Get(LearnerRoutes.Model(secondModel));
                return model.StatusCode == HttpStatusCode.OK;
            },
            "the device was never handed the second project's task");
        using var forTheFirst = await device.Upload(firstTask);

        Assert.Equal(first, firstTask.ProjectId);
        Assert.Equal(HttpStatusCode.OK, forTheFirst.StatusCode);
        var firstDone = await ServeApi.WaitForState(_tenantA, first, "Completed");
        Assert.Equal(1, firstDone.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
        Assert.Equal(0, (await ServeApi.Project(_tenantA, second)).GetProperty("rounds").GetArrayLength());

        var secondTask = (await device.NextTask())!;
        using var forTheSecond = await device.Upload(secondTask, RemoteDevice.Small(secondTask.ParameterCount).Select(p => -p).ToArray());

        Assert.Equal(second, secondTask.ProjectId);
        Assert.Equal(HttpStatusCode.OK, forTheSecond.StatusCode);
        var secondDone = await ServeApi.WaitForState(_tenantA, second, "Completed");
        Assert.Equal(1, secondDone.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
    }

    [Fact]
    public async Task A_spec_asking_for_410_million_parameters_is_400_naming_the_model_and_the_limit_and_the_process_does_not_grow_by_them()
    {
        var before = _serve.ResidentBytes();
        using var refused = await _tenantA.PostAsJsonAsync("/api/v1/projects", SpecWithModel(new { kind = "mlp", inputs = 100_000, classes = 2, hiddenUnits = 4096 }));
        var after = _serve.ResidentBytes();

        var errors = await ValidationErrors(refused);
        Assert.Contains("the limit is 50000000", errors["model"], StringComparison.Ordinal);
        Assert.True(after - before < 100 * MegaByte, $"the resident set grew by {(after - before) / MegaByte} MB");
    }

    [Fact]
    public async Task A_spec_with_int_max_inputs_is_400_naming_model_inputs()
    {
        using var refused = await _tenantA.PostAsJsonAsync("/api/v1/projects", SpecWithModel(new { kind = "softmax", inputs = int.MaxValue, classes = 2 }));

        Assert.Contains("model.inputs", (await ValidationErrors(refused)).Keys);
    }

    [Fact]
    public async Task A_registration_with_120000_data_tags_is_400_and_activates_no_device_directory()
    {
        var directoriesBefore = await _serve.ActivationsCreated(_tenantA, "devicedirectory");
        var tags = string.Join(',', Enumerable.Range(0, 120_000).Select(i => $"\"{Base36(i)}\""));
        using var body = new StringContent($$"""{"name":"hoarder","dataTags":[{{tags}}],"sampleCount":10}""", Encoding.UTF8, "application/json");

        using var refused = await _tenantA.PostAsync(new Uri(LearnerRoutes.Register, UriKind.Relative), body);

        Assert.Contains("must list 1 to 32 tags (got 120000)", (await ValidationErrors(refused))["dataTags"], StringComparison.Ordinal);

        // A device with one new tag activates one directory; once /metrics shows it, it shows all there were.
        await RemoteDevice.Register(_answers, _tenantA, NewTag());
        var directoriesAfter = directoriesBefore;
        await Until(async () => (directoriesAfter = await _serve.ActivationsCreated(_tenantA, "devicedirectory")) > directoriesBefore, "/metrics never showed the control registration's directory");
        Assert.Equal(directoriesBefore + 1, directoriesAfter);
    }

    [Theory]
    [InlineData("33 tags", null)]
    [InlineData("a bar", "a|b")]
    [InlineData("a space", "a b")]
    public async Task A_registration_with_too_many_tags_or_a_tag_with_a_bar_or_a_space_is_400_naming_dataTags(string what, string? tag)
    {
        string[] tags = tag is null ? [.. Enumerable.Range(0, 33).Select(i => $"t{i}")] : [tag];

        using var refused = await _tenantA.PostAsJsonAsync(LearnerRoutes.Register, new { name = what, dataTags = tags, sampleCount = 10 });

        Assert.Contains("dataTags", (await ValidationErrors(refused)).Keys);
    }

    [Fact]
    public async Task A_prediction_with_a_feature_beyond_the_float_range_is_422_problem_json()
    {
        var projectId = await CompletedProject(_tenantA);
        using var body = new StringContent("""{"features":[1e39,0,0,0]}""", Encoding.UTF8, "application/json");

        using var refused = await _tenantA.PostAsync(new Uri($"/api/v1/projects/{projectId}/predict", UriKind.Relative), body);

        var problem = await ProblemOf(refused, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("features[0]", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("training", """{"name":"n","dataTag":"nulls","model":{"kind":"softmax","inputs":4,"classes":2},"training":null}""")]
    [InlineData("model.kind", """{"name":"n","dataTag":"nulls","model":{"kind":null,"inputs":4,"classes":2}}""")]
    [InlineData("strategy.name", """{"name":"n","dataTag":"nulls","model":{"kind":"softmax","inputs":4,"classes":2},"strategy":{"name":null}}""")]
    [InlineData("simulation.partition", """{"name":"n","simulation":{"partition":null,"devices":2}}""")]
    [InlineData("name", """{"name":null,"dataTag":"nulls","model":{"kind":"softmax","inputs":4,"classes":2}}""")]
    public async Task A_spec_with_a_null_field_is_400_naming_it_and_leaves_no_project_behind(string field, string spec)
    {
        var projectsBefore = await ProjectCount(_tenantB);
        using var body = new StringContent(spec, Encoding.UTF8, "application/json");

        using var refused = await _tenantB.PostAsync(new Uri("/api/v1/projects", UriKind.Relative), body);

        Assert.Contains(field, (await ValidationErrors(refused)).Keys);
        Assert.Equal(projectsBefore, await ProjectCount(_tenantB));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_the_same_spec_gives_the_same_project_and_with_another_spec_is_422()
    {
        var key = "retry-" + Guid.NewGuid().ToString("N");
        var tag = NewTag();
        var projectsBefore = await ProjectCount(_tenantA);

        using var first = await SubmitWithKey(_tenantA, key, RealDeviceSpec(tag, timeoutSeconds: 3600));
        using var retried = await SubmitWithKey(_tenantA, key, RealDeviceSpec(tag, timeoutSeconds: 3600));
        using var otherSpec = await SubmitWithKey(_tenantA, key, RealDeviceSpec(tag, timeoutSeconds: 60));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.True(retried.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{retried.StatusCode}");
        var id = await IdOf(first);
        Assert.Equal(id, await IdOf(retried));
        await ProblemOf(otherSpec, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(projectsBefore + 1, await ProjectCount(_tenantA));
        using var cancelled = await Cancel(_tenantA, id);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
    }

    [Fact]
    public async Task An_idempotency_key_of_201_characters_is_400_and_creates_no_project()
    {
        var projectsBefore = await ProjectCount(_tenantA);

        using var refused = await SubmitWithKey(_tenantA, new string('k', 201), RealDeviceSpec(NewTag()));

        var problem = await ProblemOf(refused, HttpStatusCode.BadRequest);
        Assert.Contains("at most 200 characters", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(projectsBefore, await ProjectCount(_tenantA));
    }

    [Fact]
    public async Task Tenant_limits_set_in_the_environment_make_a_tenants_third_project_and_third_device_403_and_leave_another_tenant_alone()
    {
        await using var limited = await ServeApi.StartAsync(new Dictionary<string, string>
        {
            ["Flops__Limits__MaxProjectsPerTenant"] = "2",
            ["Flops__Limits__MaxDevicesPerTenant"] = "2",
        });
        var tenantA = _answers.Client(limited.Url, ServeApi.KeyOfA);
        var tenantB = _answers.Client(limited.Url, ServeApi.KeyOfB);
        var tag = NewTag();
        for (var i = 0; i < 2; i++)
        {
            await RemoteDevice.Register(_answers, tenantA, tag);
            await ServeApi.Submit(tenantA, RealDeviceSpec(tag, timeoutSeconds: 3600));
        }

        using var thirdDevice = await tenantA.PostAsJsonAsync(LearnerRoutes.Register, new { name = "third", dataTags = new[] { tag }, sampleCount = 10 });
        using var thirdProject = await tenantA.PostAsJsonAsync("/api/v1/projects", RealDeviceSpec(tag, timeoutSeconds: 3600));

        Assert.Contains("registered devices, the limit", (await ProblemOf(thirdDevice, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("projects, the limit", (await ProblemOf(thirdProject, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await RemoteDevice.Register(_answers, tenantB, tag);
        await ServeApi.Submit(tenantB, RealDeviceSpec(tag, timeoutSeconds: 3600));
    }

    /// <summary>Every test ends here: none of the answers its clients got may be a server error.</summary>
    public void Dispose()
    {
        try
        {
            _answers.AssertNoServerError();
        }
        finally
        {
            _answers.Dispose();
        }
    }

    private async Task TheIntruderGetsNothing(HttpClient owner, HttpClient intruders)
    {
        var tag = NewTag();
        var intruder = await RemoteDevice.Register(_answers, intruders, tag);
        var own = await RemoteDevice.Register(_answers, owner, tag);
        var projectId = await ServeApi.Submit(owner, RealDeviceSpec(tag));

        var ownTask = (await own.NextTask())!;
        var intrudersTask = await intruder.NextTask(waitSeconds: 1);
        using var stolenModel = await intruder.Get(LearnerRoutes.Model(ownTask.ModelHash));
        using var poisoned = await intruder.Upload(ownTask, Enumerable.Repeat(1e6f, ownTask.ParameterCount).ToArray());
        using var peek = await intruders.GetAsync(new Uri($"/api/v1/projects/{projectId}", UriKind.Relative));

        Assert.Equal(projectId, ownTask.ProjectId);
        Assert.Null(intrudersTask);
        Assert.Equal(HttpStatusCode.NotFound, stolenModel.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "wrongTask"), (poisoned.StatusCode, await RemoteDevice.Refusal(poisoned)));
        Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        using var accepted = await own.Upload(ownTask);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var round = (await ServeApi.WaitForState(owner, projectId, "Completed")).GetProperty("rounds")[0];
        Assert.Equal((1, 1), (round.GetProperty("selected").GetInt32(), round.GetProperty("participants").GetInt32()));
    }

    /// <summary>A project of one round that a device of <paramref name="tenant"/>'s completed.</summary>
    private async Task<string> CompletedProject(HttpClient tenant)
    {
        var tag = NewTag();
        var device = await RemoteDevice.Register(_answers, tenant, tag);
        var projectId = await ServeApi.Submit(tenant, RealDeviceSpec(tag));
        using var accepted = await device.Upload((await device.NextTask())!);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await ServeApi.WaitForState(tenant, projectId, "Completed");
        return projectId;
    }

    /// <summary>The project's ONNX model downloads, and the service scores a plain input with it: 200 and finite scores.</summary>
    private static async Task AssertTheModelScoresFinitely(HttpClient tenant, string projectId)
    {
        using var model = await tenant.GetAsync(new Uri($"/api/v1/projects/{projectId}/model", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.NotEmpty(await model.Content.ReadAsByteArrayAsync());
        using var predicted = await tenant.PostAsJsonAsync($"/api/v1/projects/{projectId}/predict", new { features = new[] { 1f, 2f, 3f, 4f } });
        var body = await predicted.Content.ReadAsStringAsync();
        Assert.True(predicted.StatusCode == HttpStatusCode.OK, body);
        Assert.All(JsonDocument.Parse(body).RootElement.GetProperty("scores").EnumerateArray(), s => Assert.True(float.IsFinite(s.GetSingle()), body));
    }

    private static object RealDeviceSpec(string tag, int timeoutSeconds = 60, long? maxSampleCount = null, int classes = 2) => new
    {
        name = "hostile",
        dataTag = tag,
        model = new { kind = "softmax", inputs = 4, classes },
        training = new { rounds = 1, minFitClients = 1, minAvailableClients = 1, roundTimeoutSeconds = timeoutSeconds },
        validation = maxSampleCount is { } max ? new { maxSampleCount = max } : null,
    };

    private static object SpecWithModel(object model) => new
    {
        name = "oversized",
        dataTag = NewTag(),
        model,
        training = new { rounds = 1, minFitClients = 1, minAvailableClients = 1 },
    };

    private static async Task<HttpResponseMessage> SubmitWithKey(HttpClient tenant, string key, object spec)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/projects", UriKind.Relative)) { Content = JsonContent.Create(spec) };
        request.Headers.Add("Idempotency-Key", key);
        return await tenant.SendAsync(request);
    }

    private static Task<HttpResponseMessage> Cancel(HttpClient tenant, string projectId) =>
        tenant.PostAsync(new Uri($"/api/v1/projects/{projectId}/cancel", UriKind.Relative), content: null);

    private static async Task<int> ProjectCount(HttpClient tenant) =>
        JsonDocument.Parse(await tenant.GetStringAsync(new Uri("/api/v1/projects", UriKind.Relative))).RootElement.GetArrayLength();

    private static async Task<string> IdOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

    /// <summary>The problem document of an answer that must have <paramref name="status"/> and be <c>application/problem+json</c>.</summary>
    private static async Task<JsonElement> ProblemOf(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>The <c>errors</c> of a 400 validation problem, each field's messages joined.</summary>
    private static async Task<Dictionary<string, string>> ValidationErrors(HttpResponseMessage response) =>
        (await ProblemOf(response, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject()
            .ToDictionary(e => e.Name, e => string.Join(" ", e.Value.EnumerateArray().Select(m => m.GetString())), StringComparer.Ordinal);

    /// <summary>Polls <paramref name="condition"/> for up to 30 s.</summary>
    private static async Task Until(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }

    private static string NewTag() => "tag-" + Guid.NewGuid().ToString("N")[..8];

    private static string FreePort() => CommandProcess.FreePort().ToString(CultureInfo.InvariantCulture);

    /// <summary>Four base-36 digits: 120,000 distinct tags in under 1 MB of JSON.</summary>
    private static string Base36(int value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var text = new char[4];
        for (var i = 3; i >= 0; i--, value /= 36)
        {
            text[i] = digits[value % 36];
        }

        return new string(text);
    }
}
