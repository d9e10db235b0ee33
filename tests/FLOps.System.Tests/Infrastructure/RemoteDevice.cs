using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// A device registered over HTTP that speaks the learner protocol by hand, so that a test can also
/// speak it wrongly: the raw-float32 uploads, the task and model it names and its sample count are
/// the test's to choose.
/// </summary>
public sealed class RemoteDevice
{
    private readonly HttpClient _http;

    private RemoteDevice(HttpClient http, string id)
    {
        _http = http;
        Id = id;
    }

    public string Id { get; }

    /// <summary>Registers a device of <paramref name="tenant"/>'s with one data tag; its own client (with its token) records into <paramref name="answers"/>.</summary>
    public static async Task<RemoteDevice> Register(AnswerLog answers, HttpClient tenant, string tag)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(tenant);
        using var response = await tenant.PostAsJsonAsync(LearnerRoutes.Register, new { name = "sensor", dataTags = new[] { tag }, sampleCount = 10 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var registration = (await response.Content.ReadFromJsonAsync<DeviceRegistration>(ServeApi.Json))!;
        var http = answers.Client(tenant.BaseAddress!);
        http.DefaultRequestHeaders.Add(LearnerRoutes.TokenHeader, registration.Token);
        return new RemoteDevice(http, registration.Id);
    }

    public Task<HttpResponseMessage> Get(string route) => _http.GetAsync(new Uri(LearnerRoutes.Device(Id) + route, UriKind.Relative));

    /// <summary>The next task, waiting for it up to <paramref name="waitSeconds"/>; null on 204.</summary>
    public async Task<DeviceTaskView?> NextTask(int waitSeconds = 10)
    {
        using var response = await Get(LearnerRoutes.NextTask(waitSeconds));
        response.EnsureSuccessStatusCode();
        return response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<DeviceTaskView>(ServeApi.Json);
    }

    /// <summary>Uploads <paramref name="parameters"/> as raw little-endian float32 for the task and model named.</summary>
    public async Task<HttpResponseMessage> Upload(string taskId, string modelHash, float[] parameters, long samples = 10)
    {
        using var body = new ByteArrayContent(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        body.Headers.ContentType = new("application/octet-stream");
        return await _http.PostAsync(new Uri(LearnerRoutes.Device(Id) + LearnerRoutes.Update(taskId, modelHash, samples, 0.5), UriKind.Relative), body);
    }

    public Task<HttpResponseMessage> Upload(DeviceTaskView task, float[]? parameters = null, long samples = 10)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Upload(task.TaskId, task.ModelHash, parameters ?? Small(task.ParameterCount), samples);
    }

    /// <summary>Parameters of a plausible update: small, finite, not all equal.</summary>
    public static float[] Small(int count) => [.. Enumerable.Range(0, count).Select(i => (i % 7) * 0.01f)];

    /// <summary>The <c>refusal</c> kind a problem answer names.</summary>
    public static async Task<string?> Refusal(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("refusal", out var kind) ? kind.GetString() : null;
    }
}
