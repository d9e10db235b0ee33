using System.Globalization;
using System.Text.Json;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// A real Prometheus on loopback, installed (if missing) and started by the project's own
/// <c>infra/prometheus/up.sh</c> with a scrape config of the test's, on a free port with its data
/// in a temporary folder; <c>infra/prometheus/down.sh</c> stops it.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Dictionary<string, string> environment, string directory, Uri url)
    {
        _environment = environment;
        _directory = directory;
        Url = url;
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Url { get; }

    public static async Task<PrometheusServer> StartAsync(string scrapeConfig)
    {
        var directory = Directory.CreateTempSubdirectory("flops-prometheus-test-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, scrapeConfig);
        var environment = new Dictionary<string, string>
        {
            ["PROMPORT"] = CommandProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["PROMDATA"] = Path.Combine(directory, "server"),
        };
        var up = (await ExternalCommand.RunInfraScriptAsync("prometheus/up.sh", environment, config)).EnsureSuccess();
        return new PrometheusServer(environment, directory, new Uri(up.LastLine));
    }

    /// <summary>The <c>data</c> member of a Prometheus HTTP API answer (<c>/api/v1/...</c>).</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {pathAndQuery}: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();
    }

    /// <summary>The series an instant query returns (/api/v1/query).</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string promql) =>
        [.. (await ApiAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql))).GetProperty("result").EnumerateArray()];

    /// <summary>The value of a query that returns one number (NaN when it returns nothing).</summary>
    public async Task<double> ScalarAsync(string promql)
    {
        var series = await QueryAsync(promql);
        return series.Count == 0 ? double.NaN : double.Parse(series[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls until the query's single value satisfies the condition.</summary>
    public async Task WaitUntilAsync(string promql, Func<double, bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var value = double.NaN;
        while (DateTime.UtcNow < deadline)
        {
            value = await ScalarAsync(promql);
            if (condition(value))
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Prometheus at {Url}: '{promql}' still {value} after {limit}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await ExternalCommand.RunInfraScriptAsync("prometheus/down.sh", _environment);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; the temporary folder is left behind
        }
    }
}
