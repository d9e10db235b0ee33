using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Learning.Data;
using FLOps.Learning.Training;
using FLOps.Protocol;

namespace FLOps.Learner;

/// <summary>
/// A real device's agent. Its data stays on the device: only trained parameters are uploaded.
/// </summary>
/// <remarks>
/// The gateway is a peer on the network, not part of this process, so nothing it says is trusted:
/// <list type="bullet">
/// <item>every task is checked by <see cref="TaskValidator"/> before anything is downloaded or trained;</item>
/// <item>every body is read with a bound (the model's exact size, <see cref="LearnerOptions.MaxJsonBytes"/>
/// for JSON) and every exchange with a deadline;</item>
/// <item>a task it cannot take is declined once and never worked on again;</item>
/// <item>any failure or refusal pauses the agent, twice as long each time up to
/// <see cref="LearnerOptions.MaxBackoff"/>, so no answer can make it spin.</item>
/// </list>
/// It rides out a gateway restart (retries, registers again if forgotten) and stops only when its
/// token is cancelled, or when the gateway refuses to register it (<see cref="RegistrationRefusedException"/>).
/// </remarks>
public sealed class LearnerAgent
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly LearnerOptions _options;
    private readonly Dataset _data;
    private readonly Action<string> _log;
    private readonly TimeProvider _time;
    private readonly TaskValidator _validator;
    private readonly RecentTaskIds _declined;

    private DeviceRegistration? _device;
    private Dataset? _dataWithModelClasses;
    private TimeSpan _nextPause;

    /// <param name="time">Paces the pauses between polls; the deadlines of exchanges are network time and always real.</param>
    public LearnerAgent(HttpClient http, LearnerOptions options, Dataset data, Action<string> log, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        (_http, _options, _data, _log, _time) = (http, options, data, log, time ?? TimeProvider.System);
        _validator = new TaskValidator(data);
        _declined = new RecentTaskIds(options.DeclinedTaskMemory);
        _nextPause = options.MinBackoff;
    }

    /// <summary>Tasks trained whose update the gateway answered, accepted or refused.</summary>
    public int RoundsTrained { get; private set; }

    public int TasksDeclined { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan pause;
            try
            {
                if (await WorkOnNextTaskAsync(cancellationToken))
                {
                    _nextPause = _options.MinBackoff;
                    continue;
                }

                pause = NextPause();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (DeviceForgottenException)
            {
                _device = null;
                pause = NextPause();
                _log($"the gateway no longer knows this device; registering again in {Seconds(pause)}");
            }
            catch (RegistrationRefusedException)
            {
                throw;
            }
            catch (Exception e) when (!IsFatal(e))
            {
                pause = NextPause();
                _log($"{Describe(e)}; retrying in {Seconds(pause)}");
            }

            try
            {
                await Task.Delay(pause, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One poll and what follows it: true when all went as the protocol says and the next poll may follow at once.</summary>
    private async Task<bool> WorkOnNextTaskAsync(CancellationToken cancellationToken)
    {
        var device = _device ??= await RegisterAsync(cancellationToken);
        var polled = _time.GetTimestamp();
        var task = await NextTaskAsync(device, cancellationToken);
        if (task is null)
        {
            // An honest gateway holds the poll until a task comes or the wait is over; one that
            // says "nothing" at once would otherwise have the agent ask again and again.
            return _time.GetElapsedTime(polled) >= _options.PollWait / 2;
        }

        if (TaskValidator.IsUsableId(task.TaskId) && _declined.Contains(task.TaskId))
        {
            _log($"task {Name(task.TaskId)} came again after it was declined; leaving it");
            return false;
        }

        var verdict = _validator.Check(task);
        if (!verdict.CanTake)
        {
            await DeclineAsync(device, task, verdict.Reason!, cancellationToken);
            return false;
        }

        var (parameters, mismatch) = await DownloadModelAsync(device, task, cancellationToken);
        if (parameters is null)
        {
            if (mismatch is not null)
            {
                await DeclineAsync(device, task, mismatch, cancellationToken);
            }

            return false;
        }

        if (FirstNonFinite(parameters) is { } badIndex)
        {
            await DeclineAsync(device, task, $"the model holds a non-finite parameter at index {badIndex}", cancellationToken);
            return false;
        }

        TrainingReport report;
        try
        {
            var data = DataWithClasses(verdict.Architecture.ClassCount);
            report = await Task.Run(() => LocalTrainer.Train(verdict.Architecture, parameters, data, verdict.Training, cancellationToken), cancellationToken);
        }
        catch (Exception e) when (!IsFatal(e) && !cancellationToken.IsCancellationRequested)
        {
            await DeclineAsync(device, task, $"local training failed: {GatewayText.OneLine(e.Message)}", cancellationToken);
            return false;
        }

        if (!double.IsFinite(report.AverageLoss) || FirstNonFinite(parameters) is not null)
        {
            await DeclineAsync(device, task, Invariant($"local training diverged (loss {report.AverageLoss})"), cancellationToken);
            return false;
        }

        return await UploadAsync(device, task, parameters, report, cancellationToken);
    }

    private async Task<DeviceRegistration> RegisterAsync(CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_options.RequestTimeout, cancellationToken);
        var capabilities = new DeviceCapabilitiesView(Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, RuntimeInformation.RuntimeIdentifier);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.Gateway, LearnerRoutes.Register))
        {
            Content = JsonContent.Create(new DeviceRegistrationRequest(_options.Name, [.. _options.DataTags], _options.Cluster, _data.Count, capabilities), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var detail = await BoundedContent.ReadProblemAsync(response.Content, _options.MaxJsonBytes, deadline.Token);
            throw new RegistrationRefusedException($"the gateway refused the registration ({(int)response.StatusCode}): {detail}");
        }

        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
        {
            throw new GatewayAnswerException($"the registration was answered {(int)response.StatusCode}");
        }

        var registration = await BoundedContent.ReadJsonAsync<DeviceRegistration>(response.Content, _options.MaxJsonBytes, "registration", deadline.Token);
        if (!TaskValidator.IsUsableId(registration.Id) || !IsUsableToken(registration.Token))
        {
            throw new GatewayAnswerException("the registration holds no usable device id or token");
        }

        _log($"registered as {Name(registration.Id)} with {_data.Count} samples, tags {string.Join(",", _options.DataTags)}");
        return registration;
    }

    private async Task<DeviceTaskView?> NextTaskAsync(DeviceRegistration device, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_options.PollWait + _options.RequestTimeout, cancellationToken);
        var route = LearnerRoutes.NextTask((int)_options.PollWait.TotalSeconds);
        using var response = await SendAsync(HttpMethod.Get, device, route, content: null, deadline.Token);
        return response.StatusCode switch
        {
            HttpStatusCode.NoContent => null,
            HttpStatusCode.OK => await BoundedContent.ReadJsonAsync<DeviceTaskView>(response.Content, _options.MaxJsonBytes, "task", deadline.Token),
            var status => throw new GatewayAnswerException($"tasks/next was answered {(int)status}"),
        };
    }

    /// <summary>The task's model, or no parameters and why not: a mismatch to decline the task for, or none when the task is already over.</summary>
    private async Task<(float[]? Parameters, string? Mismatch)> DownloadModelAsync(DeviceRegistration device, DeviceTaskView task, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_options.RequestTimeout, cancellationToken);
        using var response = await SendAsync(HttpMethod.Get, device, LearnerRoutes.Model(task.ModelHash), content: null, deadline.Token);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.Gone)
        {
            _log($"task {Name(task.TaskId)}: its model is no longer served ({(int)response.StatusCode}); the task is over");
            return (null, null);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new GatewayAnswerException($"models/{Name(task.ModelHash)} was answered {(int)response.StatusCode}");
        }

        return await BoundedContent.ReadParametersAsync(response.Content, task.ParameterCount, deadline.Token);
    }

    private async Task<bool> UploadAsync(DeviceRegistration device, DeviceTaskView task, float[] parameters, TrainingReport report, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_options.RequestTimeout, cancellationToken);
        using var body = new ByteArrayContent(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var route = LearnerRoutes.Update(task.TaskId, task.ModelHash, report.SampleCount, report.AverageLoss);
        using var response = await SendAsync(HttpMethod.Post, device, route, body, deadline.Token);
        var done = Invariant($"task {Name(task.TaskId)} (round {task.Round}): trained on {report.SampleCount} samples, loss {report.AverageLoss:F4}");
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var receipt = await BoundedContent.ReadJsonAsync<UpdateReceiptView>(response.Content, _options.MaxJsonBytes, "receipt", deadline.Token);
                RoundsTrained++;
                _log(receipt.Accepted ? $"{done}, update accepted" : $"{done}, update refused: {GatewayText.OneLine(receipt.Reason)}");
                return true;
            case HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity:
                // A refusal is an answer, not a failure: retrying the same update cannot change it.
                var detail = await BoundedContent.ReadProblemAsync(response.Content, _options.MaxJsonBytes, deadline.Token);
                RoundsTrained++;
                _log($"{done}, update refused ({(int)response.StatusCode}): {detail}");
                return true;
            default:
                throw new GatewayAnswerException($"the update of task {Name(task.TaskId)} was answered {(int)response.StatusCode}");
        }
    }

    /// <summary>
    /// Tells the gateway, as a courtesy, that this device will not take the task, so that its round
    /// need not wait for it; whatever the gateway answers, the task is never taken again.
    /// </summary>
    private async Task DeclineAsync(DeviceRegistration device, DeviceTaskView task, string reason, CancellationToken cancellationToken)
    {
        TasksDeclined++;
        if (!TaskValidator.IsUsableId(task.TaskId))
        {
            _log($"a task without a usable id left aside: {reason}");
            return;
        }

        _declined.Add(task.TaskId);
        _log($"task {Name(task.TaskId)} (round {task.Round}) declined: {reason}");
        try
        {
            using var deadline = Deadline(_options.RequestTimeout, cancellationToken);
            using var content = JsonContent.Create(new TaskDecline(task.TaskId, reason), options: Json);
            using var response = await SendAsync(HttpMethod.Post, device, LearnerRoutes.DeclineTask, content, deadline.Token);

            // 404 and 409 mean the task is already gone, which is all the decline asked for.
            if (!response.IsSuccessStatusCode && response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Conflict))
            {
                _log($"the gateway answered {(int)response.StatusCode} to the decline of task {Name(task.TaskId)}");
            }
        }
        catch (Exception e) when (e is not DeviceForgottenException && !IsFatal(e) && !cancellationToken.IsCancellationRequested)
        {
            _log($"could not tell the gateway that task {Name(task.TaskId)} is declined: {Describe(e)}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, DeviceRegistration device, string route, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_options.Gateway, LearnerRoutes.Device(device.Id) + route)) { Content = content };
        request.Headers.Add(LearnerRoutes.TokenHeader, device.Token);

        // Headers only: each caller reads the body itself, with its own bound.
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw new DeviceForgottenException();
        }

        return response;
    }

    /// <summary>The local data with the model's class count: the trainer wants them equal, and the validator has checked that every label fits.</summary>
    private Dataset DataWithClasses(int classCount)
    {
        if (_data.ClassCount == classCount)
        {
            return _data;
        }

        if (_dataWithModelClasses?.ClassCount != classCount)
        {
            _dataWithModelClasses = new Dataset(_data.Features, _data.Labels, _data.FeatureCount, classCount);
        }

        return _dataWithModelClasses;
    }

    private TimeSpan NextPause()
    {
        var pause = _nextPause;
        _nextPause = TimeSpan.FromTicks(Math.Min(_nextPause.Ticks * 2, _options.MaxBackoff.Ticks));
        return pause;
    }

    /// <summary>A network deadline on one exchange, body included; real time, unlike the pauses.</summary>
    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        return deadline;
    }

    private static int? FirstNonFinite(float[] parameters)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            if (!float.IsFinite(parameters[i]))
            {
                return i;
            }
        }

        return null;
    }

    // A token travels in a header: anything but visible ASCII would be refused there, or worse.
    private static bool IsUsableToken(string? token) =>
        !string.IsNullOrEmpty(token) && token.Length <= 1024 && token.All(c => c is > ' ' and < (char)127);

    private static bool IsFatal(Exception e) => e is OutOfMemoryException or InsufficientExecutionStackException or AccessViolationException;

    private static string Describe(Exception e) => GatewayText.OneLine(e switch
    {
        OperationCanceledException => "the gateway did not answer in time",
        HttpRequestException => $"the gateway is unreachable ({e.Message})",
        IOException => $"the gateway's answer broke off ({e.Message})",
        JsonException => $"the gateway's answer is not the JSON expected ({e.Message})",
        GatewayAnswerException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    });

    private static string Name(string? id) => GatewayText.OneLine(id, 80);

    private static string Seconds(TimeSpan pause) => Invariant($"{pause.TotalSeconds:0.###} s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
