using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Training;

namespace FLOps.Learner;

public sealed record LearnerOptions
{
    public required Uri Gateway { get; init; }

    public required string ApiKey { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<string> DataTags { get; init; }

    public string Cluster { get; init; } = "default";

    /// <summary>Longest pause between retries while the gateway is unreachable.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// A real device's agent. Its data stays on the device: only trained parameters are uploaded.
/// It rides out a gateway restart (retries with backoff, registers again if forgotten) and stops
/// when its token is cancelled.
/// </summary>
public sealed class LearnerAgent(HttpClient http, LearnerOptions options, Dataset data, Action<string> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string? _deviceId;
    private string? _token;

    public int RoundsTrained { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_deviceId is null)
                {
                    await Register(cancellationToken);
                }

                await WorkOnNextTask(cancellationToken);
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (DeviceForgottenException)
            {
                log("the gateway no longer knows this device; registering again");
                _deviceId = null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                log($"gateway unavailable ({e.Message}); retrying in {backoff.TotalSeconds:F0} s");
                await Task.Delay(backoff, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task Register(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Gateway, "/api/v1/devices"))
        {
            Content = JsonContent.Create(new
            {
                name = options.Name,
                dataTags = options.DataTags,
                cluster = options.Cluster,
                sampleCount = data.Count,
                capabilities = new
                {
                    cores = Environment.ProcessorCount,
                    memoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
                    platform = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
                },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
        {
            throw new InvalidOperationException($"the gateway refused the registration: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        response.EnsureSuccessStatusCode();
        var registration = await response.Content.ReadFromJsonAsync<Registration>(Json, cancellationToken) ?? throw new JsonException("empty registration");
        (_deviceId, _token) = (registration.Id, registration.Token);
        log($"registered as {_deviceId} with {data.Count} samples, tags {string.Join(",", options.DataTags)}");
    }

    private async Task WorkOnNextTask(CancellationToken cancellationToken)
    {
        using var next = await Send(HttpMethod.Get, $"tasks/next?wait=20", content: null, cancellationToken);
        if (next.StatusCode == HttpStatusCode.NoContent)
        {
            return;
        }

        var task = await next.Content.ReadFromJsonAsync<TaskView>(Json, cancellationToken) ?? throw new JsonException("empty task");
        using var modelResponse = await Send(HttpMethod.Get, $"models/{task.ModelHash}", content: null, cancellationToken);
        var parameters = MemoryMarshal.Cast<byte, float>(await modelResponse.Content.ReadAsByteArrayAsync(cancellationToken)).ToArray();
        var architecture = task.Model.Architecture();
        if (architecture.InputCount != data.FeatureCount || parameters.Length != architecture.ParameterCount)
        {
            // The round will leave this device out at its deadline; the agent stays up for other projects.
            log($"round {task.Round}: skipped: the model takes {architecture.InputCount} features but the local data has {data.FeatureCount}");
            return;
        }

        var report = await Task.Run(
            () => LocalTrainer.Train(architecture, parameters, data, new TrainingOptions(task.LocalEpochs, task.BatchSize, (float)task.LearningRate, task.Seed, (float)task.ProximalMu), cancellationToken),
            cancellationToken);
        using var body = new ByteArrayContent(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var upload = await Send(HttpMethod.Post, FormattableString.Invariant($"updates?round={task.Round}&samples={report.SampleCount}&loss={report.AverageLoss:R}"), body, cancellationToken, acceptRefusal: true);
        RoundsTrained++;
        log(upload.IsSuccessStatusCode
            ? FormattableString.Invariant($"round {task.Round}: trained on {report.SampleCount} samples, loss {report.AverageLoss:F4}, update accepted")
            : $"round {task.Round}: update refused: {await upload.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, bool acceptRefusal = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(options.Gateway, $"/api/v1/devices/{_deviceId}/{path}")) { Content = content };
        request.Headers.Add("X-Device-Token", _token);
        var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw new DeviceForgottenException();
        }

        if (!response.IsSuccessStatusCode && !(acceptRefusal && (int)response.StatusCode is >= 400 and < 500))
        {
            var status = response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"{method} {path} answered {(int)status}", null, status);
        }

        return response;
    }

    private sealed record Registration(string Id, string Token);

    private sealed record TaskView(int Round, string ModelHash, int ParameterCount, TaskModel Model, int LocalEpochs, int BatchSize, double LearningRate, double ProximalMu, int Seed);

    private sealed record TaskModel(string Kind, int? HiddenUnits, int? Inputs, int? Classes)
    {
        public ModelArchitecture Architecture() => string.Equals(Kind, "mlp", StringComparison.OrdinalIgnoreCase)
            ? ModelArchitecture.Mlp(Inputs!.Value, Classes!.Value, HiddenUnits ?? ModelArchitecture.DefaultHiddenCount)
            : ModelArchitecture.Softmax(Inputs!.Value, Classes!.Value);
    }

    private sealed class DeviceForgottenException : Exception
    {
    }
}
