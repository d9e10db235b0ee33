using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// Records every answer that the HTTP clients it made were given, so that a test can say the
/// service answered none of what it was sent with a server error (5xx), however hostile.
/// </summary>
public sealed class AnswerLog : IDisposable
{
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private readonly ConcurrentBag<HttpClient> _clients = [];
    private int _count;

    /// <summary>How many answers were recorded.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>A client of <paramref name="baseAddress"/> whose answers are recorded, sending <paramref name="apiKey"/> as its bearer token if given.</summary>
    public HttpClient Client(Uri baseAddress, string? apiKey = null)
    {
        var http = new HttpClient(new Recorder(this), disposeHandler: true) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        _clients.Add(http);
        return http;
    }

    public void AssertNoServerError() =>
        Assert.True(_serverErrors.IsEmpty, $"{_serverErrors.Count} of {Count} answers were server errors:\n{string.Join('\n', _serverErrors)}");

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private sealed class Recorder(AnswerLog log) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Interlocked.Increment(ref log._count);
            if ((int)response.StatusCode >= 500)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                log._serverErrors.Enqueue($"{request.Method} {request.RequestUri} → {(int)response.StatusCode}: {body[..Math.Min(500, body.Length)]}");
            }

            return response;
        }
    }
}
