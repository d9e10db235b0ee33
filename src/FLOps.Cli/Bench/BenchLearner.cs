using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.Cli.Bench;

/// <summary>
/// One learner of <c>flops bench learners</c>, speaking the learner protocol over HTTP as
/// <c>flops learner</c> does: long-poll <c>tasks/next</c>, fetch the task's model, upload an update
/// of its shape. Its "training" nudges the model, so that the work measured is orchestration.
/// </summary>
public sealed class BenchLearner(HttpClient http, DeviceRegistration device, LearnerTally tally)
{
    private const int SamplesPerUpdate = 10;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Registers a device holding <paramref name="dataTag"/> with the API key's tenant.</summary>
    public static async Task<DeviceRegistration> RegisterAsync(HttpClient http, string apiKey, string dataTag, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, LearnerRoutes.Register)
        {
            Content = JsonContent.Create(new DeviceRegistrationRequest($"bench-learner-{index}", [dataTag], null, SamplesPerUpdate), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"registering a learner: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return await response.Content.ReadFromJsonAsync<DeviceRegistration>(Json, cancellationToken)
            ?? throw new HttpRequestException("registering a learner: empty answer");
    }

    /// <summary>Takes and answers tasks until cancelled.</summary>
    public async Task RunAsync(int waitSeconds, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await NextTask(waitSeconds, cancellationToken) is { } task)
                {
                    tally.TaskTaken();
                    await Answer(task, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or InvalidDataException or TaskCanceledException)
            {
                tally.Failed(e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<DeviceTaskView?> NextTask(int waitSeconds, CancellationToken cancellationToken)
    {
        using var response = await Send(HttpMethod.Get, LearnerRoutes.NextTask(waitSeconds), null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            tally.PollEmpty();
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DeviceTaskView>(Json, cancellationToken);
    }

    private async Task Answer(DeviceTaskView task, CancellationToken cancellationToken)
    {
        byte[] model;
        using (var response = await Send(HttpMethod.Get, LearnerRoutes.Model(task.ModelHash), null, cancellationToken))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                tally.UpdateRefused("modelGone");
                return;
            }

            response.EnsureSuccessStatusCode();
            model = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        if (model.Length != task.ParameterCount * sizeof(float))
        {
            throw new InvalidDataException($"task {task.TaskId}: the model has {model.Length} bytes, not {task.ParameterCount} float32");
        }

        var parameters = MemoryMarshal.Cast<byte, float>(model.AsSpan());
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] += 0.01f;
        }

        using var content = new ByteArrayContent(model);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var upload = await Send(HttpMethod.Post, LearnerRoutes.Update(task.TaskId, task.ModelHash, SamplesPerUpdate, 0.5), content, cancellationToken);
        if (upload.IsSuccessStatusCode)
        {
            tally.UpdateAccepted();
        }
        else if ((int)upload.StatusCode is 409 or 422)
        {
            using var problem = JsonDocument.Parse(await upload.Content.ReadAsStringAsync(cancellationToken));
            tally.UpdateRefused(problem.RootElement.TryGetProperty("refusal", out var kind) ? kind.GetString() ?? "unknown" : "unknown");
        }
        else
        {
            throw new HttpRequestException($"upload for task {task.TaskId}: {(int)upload.StatusCode}");
        }
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string route, HttpContent? content, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, LearnerRoutes.Device(device.Id) + route) { Content = content };
        request.Headers.Add(LearnerRoutes.TokenHeader, device.Token);
        return http.SendAsync(request, cancellationToken);
    }
}
