using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// <c>flops serve</c> scraped every second by a real Prometheus (loading the project's alerting
/// rules), after it ran two short projects side by side: a classic one of 4 simulated devices,
/// one of which sends noise that <c>validation.maxUpdateNorm</c> rejects, and a hierarchical one
/// over two edge clusters (logical on serve's one embedded silo: their grains run on it), plus
/// one request refused for want of an API key. So every kind of series the dashboards show has
/// samples. Prometheus scrapes serve's <c>--metrics-port</c> listener, as
/// <c>infra/prometheus/prometheus.yml</c> does (<c>/metrics</c> on the API's port needs a metrics
/// key). A second job names a silo target where nothing listens: a silo that is down.
/// </summary>
public sealed class ScrapedServe : IAsyncLifetime
{
    public const string ScrapeInterval = "1s";
    private const string Key = "prometheus-test-key";
    private CommandProcess? _serve;

    public PrometheusServer Prometheus { get; private set; } = null!;

    /// <summary>The scrape target of <c>flops serve</c>, its <c>--metrics-port</c> listener (its Prometheus <c>instance</c> label).</summary>
    public string Instance { get; private set; } = "";

    /// <summary>The address of serve's HTTP API.</summary>
    public string Api { get; private set; } = "";

    /// <summary>The classic project.</summary>
    public string ProjectId { get; private set; } = "";

    /// <summary>The hierarchical project: 2 cycles of 1 inner round over the clusters <c>edge-a</c> and <c>edge-b</c>.</summary>
    public string HierarchicalProjectId { get; private set; } = "";

    /// <summary>The scrape target of the <c>flops-silo</c> job, where no silo answers.</summary>
    public string DownSilo { get; } = $"127.0.0.1:{CommandProcess.FreePort()}";

    public static string RulesFile => Path.Combine(PostgresFixture.RepositoryRoot, "infra", "prometheus", "rules.yml");

    public async Task InitializeAsync()
    {
        var metricsPort = CommandProcess.FreePort();
        Instance = $"127.0.0.1:{metricsPort}";
        Api = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        _serve = await CommandProcess.StartAsync(
            ["serve", "--urls", Api, "--metrics-port", metricsPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture)],
            "flops serve: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = Key });
        Prometheus = await PrometheusServer.StartAsync($"""
            global:
              scrape_interval: {ScrapeInterval}
              evaluation_interval: {ScrapeInterval}
            rule_files:
              - "{RulesFile}"
            scrape_configs:
              - job_name: flops-gateway
                static_configs:
                  - targets: ["{Instance}"]
              - job_name: flops-silo
                static_configs:
                  - targets: ["{DownSilo}"]
            """);

        // Prometheus picks up its targets a few seconds after it is ready: have two scrapes before the
        // project starts, so the project's counters are seen growing.
        await Prometheus.WaitUntilAsync($"count_over_time(up{{instance=\"{Instance}\"}}[1m])", v => v >= 2, TimeSpan.FromSeconds(60));

        using var http = new HttpClient { BaseAddress = new Uri(Api) };
        (await http.GetAsync(new Uri("/api/v1/projects", UriKind.Relative))).Dispose();   // 401: no key
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var created = await http.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "scraped",
            training = new { rounds = 4, batchSize = 16, learningRate = 0.5 },
            validation = new { maxUpdateNorm = 20.0 },
            // Rounds of about a second each (the slowest device waits 1 s), so that the rejections
            // are spread over several scrapes: a rate needs the counter to grow between two of them.
            simulation = new { devices = 4, byzantineDevices = 1, byzantineAttack = "noise", latencySeconds = 1.0 },
        });
        created.EnsureSuccessStatusCode();
        ProjectId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var hierarchical = await http.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "scraped-hierarchical",
            training = new { mode = "hierarchical", rounds = 1, cycles = 2, batchSize = 16, learningRate = 0.5 },
            simulation = new { devices = 4, clusters = new[] { "edge-a", "edge-b" } },
        });
        hierarchical.EnsureSuccessStatusCode();
        HierarchicalProjectId = JsonDocument.Parse(await hierarchical.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await WaitUntilCompleted(http, ProjectId);
        await WaitUntilCompleted(http, HierarchicalProjectId);

        // The final counts scraped, and every series of the projects scraped at least twice (rate needs two samples).
        var selector = $"flops_rounds_completed_total{{project=\"{ProjectId}\"}}";
        await Prometheus.WaitUntilAsync($"sum({selector})", v => v >= 4, TimeSpan.FromSeconds(60));
        await Prometheus.WaitUntilAsync($"min(count_over_time({selector}[1m]))", v => v >= 2, TimeSpan.FromSeconds(60));
        var cycles = $"flops_rounds_completed_total{{project=\"{HierarchicalProjectId}\", level=\"cloud\"}}";
        await Prometheus.WaitUntilAsync($"sum({cycles})", v => v >= 2, TimeSpan.FromSeconds(60));
        await Prometheus.WaitUntilAsync($"min(count_over_time(flops_edge_bytes_to_cloud_total{{project=\"{HierarchicalProjectId}\"}}[1m]))", v => v >= 2, TimeSpan.FromSeconds(60));
    }

    private async Task WaitUntilCompleted(HttpClient http, string projectId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/v1/projects/{projectId}", UriKind.Relative))).RootElement.GetProperty("state").GetString() != "Completed")
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"project {projectId} did not complete:\n{_serve!.Log}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }
    }
}
