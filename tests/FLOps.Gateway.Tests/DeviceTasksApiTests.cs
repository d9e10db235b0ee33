using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FLOps.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class DeviceTasksApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_registered_device_pulls_its_task_and_model_uploads_once_and_a_late_upload_is_refused()
    {
        var tag = "tag-" + Guid.NewGuid().ToString("N")[..8];
        var registration = await GatewayFixture.Body(await gateway.TenantA.PostAsJsonAsync("/api/v1/devices", new
        {
            name = "sensor",
            dataTags = new[] { tag },
            sampleCount = 10,
            capabilities = new { cores = 2, memoryBytes = 1L << 30, platform = "linux-x64" },
        }));
        var deviceId = registration.GetProperty("id").GetString()!;
        var device = gateway.Client("unused");
        device.DefaultRequestHeaders.Authorization = null;
        device.DefaultRequestHeaders.Add(DeviceTasksApi.TokenHeader, registration.GetProperty("token").GetString());
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "real-device",
            dataTag = tag,
            model = new { kind = "softmax", inputs = 4, classes = 2 },
            training = new { rounds = 1, minFitClients = 1, minAvailableClients = 1, roundTimeoutSeconds = 60 },
        });
        var projectId = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        var next = await device.GetAsync($"/api/v1/devices/{deviceId}/tasks/next?wait=10");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var task = await GatewayFixture.Body(next);
        var model = await device.GetByteArrayAsync($"/api/v1/devices/{deviceId}/models/{task.GetProperty("modelHash").GetString()}");
        Assert.Equal(((2 * 4) + 2) * sizeof(float), model.Length);

        var stranger = gateway.Client("unused");
        stranger.DefaultRequestHeaders.Authorization = null;
        stranger.DefaultRequestHeaders.Add(DeviceTasksApi.TokenHeader, "not-the-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync($"/api/v1/devices/{deviceId}/tasks/next?wait=0")).StatusCode);

        var round = task.GetProperty("round").GetInt32();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Upload(device, deviceId, round, new float[3])).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Upload(device, deviceId, round, [float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0])).StatusCode);
        var accepted = await Upload(device, deviceId, round, Enumerable.Range(0, 10).Select(i => i * 0.1f).ToArray());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var late = await Upload(device, deviceId, round, new float[10]);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);

        var done = await gateway.WaitForState(gateway.TenantA, projectId, "Completed");
        Assert.Equal(1, done.GetProperty("rounds")[0].GetProperty("participants").GetInt32());
    }

    private static Task<HttpResponseMessage> Upload(HttpClient device, string deviceId, int round, float[] parameters)
    {
        var body = new ByteArrayContent(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        body.Headers.ContentType = new("application/octet-stream");
        return device.PostAsync($"/api/v1/devices/{deviceId}/updates?round={round}&samples=10&loss=0.5", body);
    }
}
