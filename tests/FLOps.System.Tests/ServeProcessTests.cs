using System.Net;
using System.Net.Http.Headers;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary><c>flops serve</c> as an operator starts it: what it says at start-up, and who may read its metrics.</summary>
public sealed class ServeProcessTests
{
    [Fact]
    public async Task Serve_without_postgres_says_on_stdout_in_one_plain_line_that_its_state_is_lost_when_it_stops()
    {
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        await using var serve = await CommandProcess.StartAsync(
            ["serve", "--urls", url], "flops serve: listening", environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = "in-memory-test" });

        var lines = serve.Stdout.Split('\n', StringSplitOptions.TrimEntries);

        Assert.Contains("flops serve: state is in memory only and is lost when this process stops; use --postgres for durable state", lines);
    }

    [Fact]
    public async Task Serve_gives_metrics_on_its_metrics_port_without_a_key_and_on_its_api_port_only_for_a_metrics_key()
    {
        var api = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        var metricsPort = CommandProcess.FreePort();
        await using var serve = await CommandProcess.StartAsync(
            ["serve", "--urls", api, "--metrics-port", metricsPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture)],
            "flops serve: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = "tenant-key", ["FLOPS_METRICS_KEYS"] = "operator-key" });
        using var http = new HttpClient();

        using var onTheMetricsPort = await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        using var anonymous = await http.GetAsync(new Uri($"{api}/metrics"));
        using var tenant = await http.SendAsync(WithKey($"{api}/metrics", "tenant-key"));
        using var withMetricsKey = await http.SendAsync(WithKey($"{api}/metrics", "operator-key"));

        Assert.Equal(HttpStatusCode.OK, onTheMetricsPort.StatusCode);
        Assert.Contains("flops_projects{", await onTheMetricsPort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, tenant.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withMetricsKey.StatusCode);
        Assert.Contains("flops_projects{", await withMetricsKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage WithKey(string url, string key) =>
        new(HttpMethod.Get, new Uri(url)) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
}
