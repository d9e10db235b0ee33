using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FLOps.Learner.Tests;

/// <summary>
/// A real HTTP server on a free loopback port that speaks the learner protocol as each test
/// scripts it, honestly or not, and counts what the agent asks. Every handler gets the call's
/// number (1 for the first call of its route), so a script can change its answer over time.
/// </summary>
public sealed class FakeGateway : IAsyncDisposable
{
    public const string DeviceId = "device-1";
    public const string Token = "token-1";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly byte[] Chunk = Enumerable.Repeat((byte)'a', 16 * 1024).ToArray();

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<DeviceRegistrationRequest> _registrationRequests = new();
    private readonly ConcurrentQueue<TaskDecline> _declines = new();
    private readonly ConcurrentQueue<RecordedUpload> _uploads = new();
    private TaskCompletionSource _changed = NewSignal();
    private int _registrations;
    private int _polls;
    private int _modelRequests;
    private int _endlessBodiesEnded;

    private FakeGateway(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public Func<HttpContext, int, Task> OnRegister { get; set; } = (context, _) => AnswerJson(context, new DeviceRegistration(DeviceId, Token));

    /// <summary>By default a quiet gateway: the long poll is held until the agent goes away.</summary>
    public Func<HttpContext, int, Task> OnNextTask { get; set; } = (context, _) => HoldUntilAborted(context);

    public Func<HttpContext, int, Task> OnModel { get; set; } = (context, _) => AnswerStatus(context, HttpStatusCode.NotFound);

    public Func<HttpContext, int, Task> OnDecline { get; set; } = (context, _) => AnswerStatus(context, HttpStatusCode.NoContent);

    public Func<HttpContext, int, Task> OnUpload { get; set; } = (context, _) => AnswerJson(context, new UpdateReceiptView(true, null, null));

    public int Registrations => Volatile.Read(ref _registrations);

    public IReadOnlyList<DeviceRegistrationRequest> RegistrationRequests => [.. _registrationRequests];

    public int Polls => Volatile.Read(ref _polls);

    public int ModelRequests => Volatile.Read(ref _modelRequests);

    public IReadOnlyList<TaskDecline> Declines => [.. _declines];

    public IReadOnlyList<RecordedUpload> Uploads => [.. _uploads];

    /// <summary>Endless bodies that stopped because the agent hung up.</summary>
    public int EndlessBodiesEnded => Volatile.Read(ref _endlessBodiesEnded);

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var gateway = new FakeGateway(app);
        gateway.MapRoutes();
        await app.StartAsync();
        gateway.Address = new Uri(app.Urls.Single());
        return gateway;
    }

    /// <summary>Waits, without polling a clock, until <paramref name="condition"/> holds after some request; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<FakeGateway, bool> condition, string what, TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var changed = Volatile.Read(ref _changed);
            if (condition(this))
            {
                return;
            }

            try
            {
                await changed.Task.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the gateway never saw {what}: {Polls} polls, {ModelRequests} model requests, {Declines.Count} declines, {Uploads.Count} uploads");
            }
        }
    }

    /// <summary>An <c>application/octet-stream</c> body that never ends while the client reads it.</summary>
    public Task WriteEndlessBody(HttpContext context) => WriteEndless(context, "application/octet-stream", prefix: []);

    /// <summary>A JSON object whose first string never ends.</summary>
    public Task WriteEndlessJson(HttpContext context) => WriteEndless(context, "application/json", Encoding.UTF8.GetBytes("{\"taskId\":\""));

    public static Task AnswerJson<T>(HttpContext context, T value) => context.Response.WriteAsJsonAsync(value, Web);

    public static Task AnswerRawJson(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public static Task AnswerStatus(HttpContext context, HttpStatusCode status)
    {
        context.Response.StatusCode = (int)status;
        return Task.CompletedTask;
    }

    public static Task AnswerProblem(HttpContext context, HttpStatusCode status, string detail)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = (int)status, detail }, Web));
    }

    public static Task AnswerParameters(HttpContext context, float[] parameters)
    {
        context.Response.ContentType = "application/octet-stream";
        var bytes = new byte[parameters.Length * sizeof(float)];
        Buffer.BlockCopy(parameters, 0, bytes, 0, bytes.Length);
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    /// <summary>Drops the connection without an answer, as a crashing proxy would.</summary>
    public static Task Abort(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    public static async Task HoldUntilAborted(HttpContext context)
    {
        var stopping = context.RequestServices.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime lifetime ? lifetime.ApplicationStopping : CancellationToken.None;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await Task.Delay(Timeout.InfiniteTimeSpan, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void MapRoutes()
    {
        _app.MapPost(LearnerRoutes.Register, async context =>
        {
            var request = await JsonSerializer.DeserializeAsync<DeviceRegistrationRequest>(context.Request.Body, Web, context.RequestAborted);
            _registrationRequests.Enqueue(request!);
            await Handle(context, ref _registrations, OnRegister);
        });
        _app.MapGet("/api/v1/devices/{id}/tasks/next", context => Handle(context, ref _polls, OnNextTask));
        _app.MapGet("/api/v1/devices/{id}/models/{hash}", context => Handle(context, ref _modelRequests, OnModel));
        _app.MapPost("/api/v1/devices/{id}/tasks/decline", async context =>
        {
            var decline = await JsonSerializer.DeserializeAsync<TaskDecline>(context.Request.Body, Web, context.RequestAborted);
            _declines.Enqueue(decline!);
            await Handle(context, _declines.Count, OnDecline);
        });
        _app.MapPost("/api/v1/devices/{id}/updates", async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var query = context.Request.Query;
            _uploads.Enqueue(new RecordedUpload(query["task"], query["model"], query["samples"], query["loss"], context.Request.Headers[LearnerRoutes.TokenHeader], (int)body.Length));
            await Handle(context, _uploads.Count, OnUpload);
        });
    }

    private Task Handle(HttpContext context, ref int counter, Func<HttpContext, int, Task> script) =>
        Handle(context, Interlocked.Increment(ref counter), script);

    private async Task Handle(HttpContext context, int call, Func<HttpContext, int, Task> script)
    {
        Signal();
        await script(context, call);
    }

    private async Task WriteEndless(HttpContext context, string contentType, byte[] prefix)
    {
        context.Response.ContentType = contentType;
        try
        {
            await context.Response.BodyWriter.WriteAsync(prefix, context.RequestAborted);

            // Once the client has gone, Kestrel takes writes without sending them until it notices;
            // yielding lets it notice sooner. What the client read is counted on its side.
            while (!context.RequestAborted.IsCancellationRequested && !(await context.Response.BodyWriter.WriteAsync(Chunk, context.RequestAborted)).IsCompleted)
            {
                await Task.Yield();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The agent hung up: what this body is for.
        }
        finally
        {
            Interlocked.Increment(ref _endlessBodiesEnded);
            Signal();
        }
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
