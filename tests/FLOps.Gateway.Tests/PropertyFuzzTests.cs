using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FLOps.Gateway.Tests.Fuzzing;
using FLOps.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit.Abstractions;

namespace FLOps.Gateway.Tests;

/// <summary>
/// Property-based fuzzing of the two doors hostile input comes through: project specs and device
/// uploads (generators in <c>Fuzzing/</c>). On a failure FsCheck prints the case and the seed that
/// replays it (<c>[Property(Replay = "…")]</c>); the output of a passing run shows how the answers
/// were distributed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PropertyFuzzTests(GatewayFixture gateway, ITestOutputHelper output) : IDisposable
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>The fuzzing tenant: its project list is the state a refused spec must leave alone.</summary>
    private readonly HttpClient _tenant = gateway.Client(GatewayFixture.KeyFuzz);

    /// <summary>The device, project and task the upload cases aim at, until one upload is accepted.</summary>
    private UploadScene? _scene;

    private int _requests;

    /// <summary>
    /// Whatever the body and Idempotency-Key: never a 5xx; a refusal is a 4xx problem whose tenant's
    /// project list is unchanged; an acceptance is a 201 that added exactly its project (a repeat under
    /// the same key adds none). An unchanged spec is accepted; one broken where the contract is plain
    /// (wrong type, unknown field, invalid tag, model beyond the limit, …) is refused.
    /// </summary>
    [Property(MaxTest = 1500)]
    public Property A_spec_is_accepted_as_exactly_one_project_or_refused_with_a_problem_and_no_project_left_behind() =>
        Prop.ForAll(SpecCases.Arbitrary, Submit);

    /// <summary>
    /// Whatever the task id, model hash, sample count, loss and body: never a 5xx, and exactly the
    /// answer the protocol prescribes (see <see cref="UploadCase.Expected"/>). After a refusal the device
    /// still holds its task and the project is still in round 1 with nothing recorded; after the one
    /// acceptance the task is used up and the next case gets a fresh project.
    /// </summary>
    [Property(MaxTest = 2000)]
    public Property An_upload_counts_only_when_well_formed_for_the_held_task_and_its_model_and_a_refused_one_changes_nothing() =>
        Prop.ForAll(UploadCases.Arbitrary, Upload);

    private async Task<Property> Submit(SpecCase @case)
    {
        var key = @case.Key.Key();
        if (@case.Key.Use == KeyUse.ReusedWithAnotherSpec)
        {
            using var first = await PostSpec(SpecCases.FirstUseOfAKey, key);
            var (firstStatus, firstText) = await Read(first);
            Assert.True(firstStatus == HttpStatusCode.Created, $"the first use of the key was not accepted: {(int)firstStatus} {firstText}");
            await Cancel(IdIn(firstText));
        }

        var before = await ProjectIds();
        using var answer = await PostSpec(@case.Body, key);
        var (status, text) = await Read(answer);
        var after = await ProjectIds();
        var created = CreatedOrRefused(status, text, answer, before, after);
        Assert.True(@case.Verdict != Verdict.Refused || created is null, $"accepted as {created} a spec that must be refused");
        Assert.True(@case.Verdict != Verdict.Accepted || created is not null, $"refused a valid spec: {(int)status} {text}");
        Assert.True(@case.ExactStatus is not { } exact || exact == status, $"expected {(int?)@case.ExactStatus}, got {(int)status} {text}");

        if (@case.Key.Use == KeyUse.SentTwice)
        {
            // The same key with the same body repeats the first answer and adds nothing.
            using var again = await PostSpec(@case.Body, key);
            var (againStatus, againText) = await Read(again);
            Assert.True(status == againStatus, $"sent twice, answered {(int)status} then {(int)againStatus} {againText}");
            Assert.Equal(created, CreatedOrRefused(againStatus, againText, again, after, await ProjectIds()));
        }

        if (created is not null)
        {
            await Cancel(created);
        }

        return Prop.Collect(true, $"{(int)status} {@case.Verdict}");
    }

    /// <summary>
    /// The answer's id when it created a project, which must then be the one project added; null for
    /// a refusal, which must be a 4xx problem that left the tenant's projects as they were.
    /// </summary>
    private static string? CreatedOrRefused(HttpStatusCode status, string text, HttpResponseMessage answer, IReadOnlySet<string> before, IReadOnlySet<string> after)
    {
        Assert.True((int)status < 500, $"a server error: {(int)status} {text}");
        if (status == HttpStatusCode.Created)
        {
            var id = IdIn(text);
            var added = after.Except(before).ToList();
            Assert.True(before.IsSubsetOf(after) && (added.Count == 1 && added[0] == id || added.Count == 0 && before.Contains(id)), $"accepted as {id}, but the tenant's projects went from {before.Count} to {after.Count} (added: {string.Join(", ", added)})");
            return id;
        }

        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity, $"neither 201 nor a refusal: {(int)status} {text}");
        AssertProblem(status, text, answer);
        Assert.True(
            after.SetEquals(before),
            $"a refused spec ({(int)status}) changed the tenant's projects: added {string.Join(", ", after.Except(before))}, removed {string.Join(", ", before.Except(after))}");
        return null;
    }

    private async Task<Property> Upload(UploadCase @case)
    {
        var scene = _scene ??= await UploadScene.Start(gateway, _tenant, () => Interlocked.Add(ref _requests, 3));
        Interlocked.Increment(ref _requests);
        using var answer = await scene.Device.Post(@case.Route(scene.Task.TaskId, scene.Task.ModelHash), @case.Body.Bytes);
        var (status, text) = await Read(answer);
        Assert.True((int)status < 500, $"a server error: {(int)status} {text}");
        var refusal = status == HttpStatusCode.OK ? null : AssertProblem(status, text, answer).TryGetProperty("refusal", out var kind) ? kind.GetString() : null;
        var expected = @case.Expected(scene.Task.TaskId, scene.Task.ModelHash);
        Assert.True(expected == (status, refusal), $"expected {(int)expected.Status} {expected.Refusal}, got {(int)status} {refusal}: {text}");

        if (status == HttpStatusCode.OK)
        {
            // The task is used up; the round has its update and this project is done with.
            Assert.Null(await NextTask(scene));
            await Cancel(scene.ProjectId);
            _scene = null;
        }
        else
        {
            Assert.Equal(scene.Task.TaskId, (await NextTask(scene))?.TaskId);
            Interlocked.Increment(ref _requests);
            var project = await _tenant.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{scene.ProjectId}");
            var (state, round, rounds) = (project.GetProperty("state").GetString(), project.GetProperty("currentRound").GetInt32(), project.GetProperty("rounds").GetArrayLength());
            Assert.True((state, round, rounds) == ("Running", 1, 0), $"a refused upload moved the project to {state}, round {round}, {rounds} completed rounds");
        }

        return Prop.Collect(true, $"{(int)status} {refusal}".TrimEnd());
    }

    private async Task<DeviceTaskView?> NextTask(UploadScene scene)
    {
        Interlocked.Increment(ref _requests);
        return await scene.Device.NextTask(waitSeconds: 0);
    }

    private Task<HttpResponseMessage> PostSpec(string body, string? idempotencyKey)
    {
        Interlocked.Increment(ref _requests);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/projects") { Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")) };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return _tenant.SendAsync(request);
    }

    private async Task<IReadOnlySet<string>> ProjectIds()
    {
        Interlocked.Increment(ref _requests);
        var projects = await _tenant.GetFromJsonAsync<JsonElement>("/api/v1/projects");
        return projects.EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    private async Task Cancel(string projectId)
    {
        Interlocked.Increment(ref _requests);
        using var cancelled = await _tenant.PostAsync($"/api/v1/projects/{projectId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string Text)> Read(HttpResponseMessage response) =>
        (response.StatusCode, await response.Content.ReadAsStringAsync());

    private static string IdIn(string text) => JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;

    /// <summary>An RFC 7807 problem whose <c>status</c> is the answer's.</summary>
    private static JsonElement AssertProblem(HttpStatusCode status, string text, HttpResponseMessage answer)
    {
        Assert.True(answer.Content.Headers.ContentType?.MediaType == ProblemJson, $"a {(int)status} as {answer.Content.Headers.ContentType?.MediaType ?? "no content type"}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public void Dispose()
    {
        output.WriteLine($"{_requests} requests");
        _tenant.Dispose();
    }

    /// <summary>A registered device of a fresh tag holding the one task of a real-device project that waits an hour for it.</summary>
    private sealed record UploadScene(LearnerDevice Device, string ProjectId, DeviceTaskView Task)
    {
        public static async Task<UploadScene> Start(GatewayFixture gateway, HttpClient tenant, Action countRequests)
        {
            countRequests();
            var tag = "fuzz-upload-" + Guid.NewGuid().ToString("N")[..8];
            var device = await LearnerDevice.Register(gateway, tenant, tag);
            using var created = await tenant.PostAsync("/api/v1/projects", new StringContent(SpecCases.RealDevice("upload-fuzzing", tag).ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var task = await device.NextTask(waitSeconds: 10);
            Assert.NotNull(task);
            Assert.Equal(UploadCase.ParameterCount, task.ParameterCount);
            return new UploadScene(device, IdIn(await created.Content.ReadAsStringAsync()), task);
        }
    }
}
