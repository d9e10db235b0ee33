using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.Gateway.Tests;

/// <summary>A registered device speaking the learner protocol by hand, so that tests can also speak it wrongly.</summary>
internal sealed class LearnerDevice(HttpClient http, string id)
{
    public string Id { get; } = id;

    public static async Task<LearnerDevice> Register(GatewayFixture gateway, HttpClient tenant, string tag, int sampleCount = 10)
    {
        var response = await tenant.PostAsJsonAsync("/api/v1/devices", new { name = "sensor", dataTags = new[] { tag }, sampleCount });
        response.EnsureSuccessStatusCode();
        var registration = (await response.Content.ReadFromJsonAsync<DeviceRegistration>(GatewayFixture.Json))!;
        var http = gateway.Client("unused");
        http.DefaultRequestHeaders.Authorization = null;
        http.DefaultRequestHeaders.Add(LearnerRoutes.TokenHeader, registration.Token);
        return new LearnerDevice(http, registration.Id);
    }

    public Task<HttpResponseMessage> Get(string route) => http.GetAsync(LearnerRoutes.Device(Id) + route);

    /// <summary>A POST of raw bytes to one of the device's routes, as a learner uploads parameters.</summary>
    public Task<HttpResponseMessage> Post(string route, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/octet-stream");
        return http.PostAsync(LearnerRoutes.Device(Id) + route, content);
    }

    /// <summary>The next task, waiting for it up to <paramref name="waitSeconds"/>; null on 204.</summary>
    public async Task<DeviceTaskView?> NextTask(int waitSeconds = 10)
    {
        var response = await Get(LearnerRoutes.NextTask(waitSeconds));
        response.EnsureSuccessStatusCode();
        return response.StatusCode == System.Net.HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<DeviceTaskView>(GatewayFixture.Json);
    }

    public Task<HttpResponseMessage> Upload(string taskId, string modelHash, float[] parameters, long samples = 10)
    {
        var body = new ByteArrayContent(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        body.Headers.ContentType = new("application/octet-stream");
        return http.PostAsync(LearnerRoutes.Device(Id) + LearnerRoutes.Update(taskId, modelHash, samples, 0.5), body);
    }

    public Task<HttpResponseMessage> Upload(DeviceTaskView task, float[]? parameters = null, long samples = 10) =>
        Upload(task.TaskId, task.ModelHash, parameters ?? new float[task.ParameterCount], samples);

    public Task<HttpResponseMessage> Decline(string taskId, string reason) =>
        http.PostAsJsonAsync(LearnerRoutes.Device(Id) + LearnerRoutes.DeclineTask, new TaskDecline(taskId, reason));

    /// <summary>The <c>refusal</c> kind a problem answer names.</summary>
    public static async Task<string?> Refusal(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("refusal", out var kind) ? kind.GetString() : null;
}
