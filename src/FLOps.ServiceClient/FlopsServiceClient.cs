using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FLOps.Protocol;
using FLOps.Tls;

namespace FLOps.ServiceClient;

/// <summary>
/// A user's client of the FLOps HTTP API (<see cref="ServiceRoutes"/>), authenticated by an API
/// key. Every failure is a <see cref="FlopsServiceException"/> with a one-line message:
/// <see cref="GatewayRefusedException"/> for an error answer, <see cref="GatewayUnreachableException"/>
/// when no answer came, <see cref="GatewayAnswerException"/> for an answer it cannot use.
/// </summary>
public sealed class FlopsServiceClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    private readonly HttpClient _http;
    private readonly string _apiKey;

    /// <summary>A client of <paramref name="gateway"/> over <paramref name="http"/>, which it disposes.</summary>
    public FlopsServiceClient(HttpClient http, Uri gateway, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        _http = http;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.BaseAddress = gateway;
        Gateway = gateway;
        _apiKey = apiKey;
    }

    public Uri Gateway { get; }

    /// <summary>How long one exchange (not the events stream) may take, body included.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>How long <see cref="WatchAsync"/> waits before it opens the events stream again after it closed early.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often in a row <see cref="WatchAsync"/> opens the stream again without hearing an event before it gives up.</summary>
    public int MaxReconnects { get; init; } = 5;

    /// <summary>
    /// The handler for a gateway client: a 10 s connection timeout, no redirects (the API key would
    /// not follow, and nothing of the API redirects), and trust in only the private CA in
    /// <paramref name="authorityPath"/> when one is given (an <c>https://</c> gateway whose
    /// certificate <c>flops certs create</c> made).
    /// </summary>
    /// <exception cref="TlsConfigurationException">The CA file is missing or wrong; the message names it.</exception>
    public static SocketsHttpHandler CreateHandler(string? authorityPath = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        return authorityPath is null ? handler : PrivateAuthority.TrustOnly(handler, authorityPath);
    }

    /// <summary>Submits a project spec (a JSON object, sent as it is: the gateway checks it) and returns the new project.</summary>
    public Task<ProjectView> SubmitAsync(JsonObject spec, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ExchangeAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, ServiceRoutes.Projects)
                {
                    Content = new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"),
                };
                if (idempotencyKey is not null)
                {
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                }

                return request;
            },
            ReadJsonAsync<ProjectView>,
            cancellationToken);
    }

    /// <summary>The caller's projects.</summary>
    public Task<IReadOnlyList<ProjectView>> ListAsync(CancellationToken cancellationToken = default) =>
        ExchangeAsync(() => new HttpRequestMessage(HttpMethod.Get, ServiceRoutes.Projects), ReadJsonAsync<IReadOnlyList<ProjectView>>, cancellationToken);

    public Task<ProjectView> GetAsync(string projectId, CancellationToken cancellationToken = default) =>
        ExchangeAsync(() => new HttpRequestMessage(HttpMethod.Get, ServiceRoutes.Project(projectId)), ReadJsonAsync<ProjectView>, cancellationToken);

    /// <summary>Asks the project to stop; returns it as the cancellation left it.</summary>
    public Task<ProjectView> CancelAsync(string projectId, CancellationToken cancellationToken = default) =>
        ExchangeAsync(() => new HttpRequestMessage(HttpMethod.Post, ServiceRoutes.Cancel(projectId)), ReadJsonAsync<ProjectView>, cancellationToken);

    /// <summary>Copies the project's current model (ONNX) to <paramref name="destination"/>; returns its length in bytes. 409 while it has none.</summary>
    public Task<long> DownloadModelAsync(string projectId, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return ExchangeAsync(
            () => new HttpRequestMessage(HttpMethod.Get, ServiceRoutes.Model(projectId)),
            async (response, what, token) =>
            {
                await using var body = await response.Content.ReadAsStreamAsync(token);
                var before = destination.CanSeek ? destination.Position : 0;
                await body.CopyToAsync(destination, token);
                return destination.CanSeek ? destination.Position - before : response.Content.Headers.ContentLength ?? -1;
            },
            cancellationToken);
    }

    /// <summary>
    /// Uploads an ONNX model for a spec's <c>model: { kind: "onnx", modelId }</c>. A gateway
    /// without the route (404, 405) is a <see cref="GatewayAnswerException"/> that says so.
    /// </summary>
    public async Task<ModelUploadView> UploadModelAsync(Stream onnx, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        try
        {
            return await ExchangeAsync(
                () => new HttpRequestMessage(HttpMethod.Post, ServiceRoutes.Models) { Content = new StreamContent(onnx) { Headers = { ContentType = OctetStream } } },
                ReadJsonAsync<ModelUploadView>,
                cancellationToken);
        }
        catch (GatewayRefusedException e) when (e.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.MethodNotAllowed)
        {
            throw new GatewayAnswerException($"the gateway at {Gateway} does not accept ONNX models yet (POST {ServiceRoutes.Models} answered {e.Status})", e);
        }
    }

    /// <summary>
    /// The project as it changes, from its events stream: its state at once, then once per change,
    /// ending with the event in which it has ended (<see cref="ProjectStates.IsTerminal"/>). A stream
    /// that closes or breaks before that is opened again after <see cref="ReconnectDelay"/> (and
    /// begins with the state at that time), up to <see cref="MaxReconnects"/> times in a row
    /// without an event; the first connection is not retried.
    /// </summary>
    public async IAsyncEnumerable<ProjectView> WatchAsync(string projectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var heardOnce = false;
        var quietTries = 0;
        while (true)
        {
            GatewayUnreachableException? broken = null;
            var heard = false;
            var events = ReadEventsAsync(projectId, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await events.MoveNextAsync())
                        {
                            break;
                        }
                    }
                    catch (GatewayUnreachableException e) when (heardOnce)
                    {
                        broken = e;
                        break;
                    }

                    heard = heardOnce = true;
                    yield return events.Current;
                    if (ProjectStates.IsTerminal(events.Current.State))
                    {
                        yield break;
                    }
                }
            }
            finally
            {
                await events.DisposeAsync();
            }

            quietTries = heard ? 1 : quietTries + 1;
            if (quietTries > MaxReconnects)
            {
                throw broken as FlopsServiceException
                    ?? new GatewayAnswerException($"the events stream of project '{projectId}' closed {MaxReconnects + 1} times in a row before the project ended");
            }

            await Task.Delay(ReconnectDelay, cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>One events stream, as long as the gateway keeps it open.</summary>
    private async IAsyncEnumerable<ProjectView> ReadEventsAsync(string projectId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var what = $"GET {ServiceRoutes.Events(projectId)}";
        using var request = Authorized(new HttpRequestMessage(HttpMethod.Get, ServiceRoutes.Events(projectId)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendAsync(request, what, cancellationToken);
        await using var stream = await Guarded(() => response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken);
        var items = SseParser.Create(stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await Guarded(async () => await items.MoveNextAsync(), cancellationToken))
            {
                if (items.Current.EventType == ServiceRoutes.ProgressEvent)
                {
                    yield return Deserialize<ProjectView>(items.Current.Data, what);
                }
            }
        }
        finally
        {
            await items.DisposeAsync();
        }
    }

    /// <summary>Sends a request and reads its answer within <see cref="RequestTimeout"/>.</summary>
    private async Task<T> ExchangeAsync<T>(Func<HttpRequestMessage> create, Func<HttpResponseMessage, string, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using var request = Authorized(create());
        var what = $"{request.Method} {request.RequestUri}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RequestTimeout);
        try
        {
            using var response = await SendAsync(request, what, limit.Token);
            return await Guarded(() => read(response, what, limit.Token), limit.Token);
        }
        catch (OperationCanceledException e) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GatewayUnreachableException(Gateway, $"no answer to {what} within {RequestTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private HttpRequestMessage Authorized(HttpRequestMessage request)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        return request;
    }

    /// <summary>Sends <paramref name="request"/> and returns the answer once its headers are in; an error status becomes a <see cref="GatewayRefusedException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        var response = await Guarded(() => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken), cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await Guarded(() => response.Content.ReadAsStringAsync(cancellationToken), cancellationToken);
            throw new GatewayRefusedException((int)response.StatusCode, ProblemText.Summarize(response.StatusCode, body));
        }
    }

    /// <summary>Runs one step of an exchange, turning a failure of the connection into a <see cref="GatewayUnreachableException"/>.</summary>
    private async Task<T> Guarded<T>(Func<Task<T>> step, CancellationToken cancellationToken)
    {
        try
        {
            return await step();
        }
        catch (HttpRequestException e)
        {
            throw new GatewayUnreachableException(Gateway, Describe(e), e);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GatewayUnreachableException(Gateway, $"the connection broke: {e.Message}", e);
        }
    }

    private static string Describe(HttpRequestException e)
    {
        var innermost = e.InnerException is AuthenticationException tls ? $" ({tls.Message})" : "";
        var reason = e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => "the connection failed",
            HttpRequestError.NameResolutionError => "its name was not found",
            HttpRequestError.SecureConnectionError => "the TLS handshake failed",
            _ => null,
        };
        return GatewayText.OneLine(reason is null ? e.Message : $"{reason}: {e.Message}{innermost}");
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Deserialize<T>(body, what);
    }

    private static T Deserialize<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("the answer is null");
        }
        catch (JsonException e)
        {
            throw new GatewayAnswerException(GatewayText.OneLine($"the gateway's answer to {what} is not what the API describes: {e.Message}"), e);
        }
    }
}
