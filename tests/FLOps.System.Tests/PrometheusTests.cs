using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>
/// <c>infra/prometheus</c> and <c>dashboards/</c> against a real Prometheus (installed and started
/// by <c>infra/prometheus/up.sh</c>) that scraped <c>flops serve</c> while it ran a project.
/// </summary>
public sealed partial class PrometheusTests(ScrapedServe deployment, ITestOutputHelper output) : IClassFixture<ScrapedServe>
{
    /// <summary>What <c>$__rate_interval</c> stands for: Grafana's is at least 4 scrape intervals; the whole run lies in it.</summary>
    private const string Window = "1m";

    private static string PrometheusFolder => Path.Combine(PostgresFixture.RepositoryRoot, "infra", "prometheus");

    [Fact]
    public async Task Promtool_accepts_the_scrape_config_and_the_alerting_rules()
    {
        (await Promtool("check", "config", Path.Combine(PrometheusFolder, "prometheus.yml"))).EnsureSuccess();
        (await Promtool("check", "rules", Path.Combine(PrometheusFolder, "rules.yml"))).EnsureSuccess();
    }

    [Fact]
    public async Task Every_alert_has_promtool_unit_tests_and_they_pass()
    {
        var alerts = AlertName().Matches(await File.ReadAllTextAsync(Path.Combine(PrometheusFolder, "rules.yml"))).Select(m => m.Groups[1].Value).ToList();
        var tested = TestedAlertName().Matches(await File.ReadAllTextAsync(Path.Combine(PrometheusFolder, "rules.test.yml"))).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(alerts);
        Assert.Empty(alerts.Except(tested));

        var result = await Promtool("test", "rules", Path.Combine(PrometheusFolder, "rules.test.yml"));
        output.WriteLine(result.Stdout + result.Stderr);
        result.EnsureSuccess();
    }

    [Fact]
    public async Task Prometheus_evaluates_every_rule_over_the_real_metrics_without_error()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<JsonElement> rules;
        do
        {
            var groups = (await deployment.Prometheus.ApiAsync("/api/v1/rules")).GetProperty("groups").EnumerateArray();
            rules = [.. groups.SelectMany(g => g.GetProperty("rules").EnumerateArray())];
            if (rules.Count > 0 && rules.All(r => r.GetProperty("health").GetString() != "unknown"))
            {
                break;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(AlertName().Count(await File.ReadAllTextAsync(ScrapedServe.RulesFile)), rules.Count);
        Assert.All(rules, r => Assert.True(r.GetProperty("health").GetString() == "ok", $"{r.GetProperty("name")}: {r}"));
    }

    [Fact]
    public async Task The_real_metrics_raise_the_alerts_they_should_and_no_other()
    {
        // Pending, not yet firing: each alert waits its 'for' duration, longer than this test.
        var limit = TimeSpan.FromSeconds(30);
        await deployment.Prometheus.WaitUntilAsync($"count(ALERTS{{alertname=\"FlopsSiloDown\", instance=\"{deployment.DownSilo}\"}})", v => v >= 1, limit);
        await deployment.Prometheus.WaitUntilAsync($"count(ALERTS{{alertname=\"FlopsUpdateRejectionRatioHigh\", project=\"{deployment.ProjectId}\"}})", v => v >= 1, limit);
        var alerts = await deployment.Prometheus.QueryAsync("count by (alertname) (ALERTS)");
        Assert.Equal(
            ["FlopsSiloDown", "FlopsUpdateRejectionRatioHigh"],
            alerts.Select(a => a.GetProperty("metric").GetProperty("alertname").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_query_of_every_dashboard_panel_returns_series_from_the_scraped_service()
    {
        var failures = new StringBuilder();
        var queries = Dashboards.Queries().ToList();
        Assert.NotEmpty(queries);
        foreach (var query in queries)
        {
            foreach (var values in ValueSets(query.Expr))
            {
                var expr = Dashboards.Substitute(query.Expr, Window, values);
                var series = await QueryOrFailure(expr, failures, query);
                output.WriteLine($"{series?.Count.ToString(global::System.Globalization.CultureInfo.InvariantCulture) ?? "error",5} {query.Dashboard} / {query.Panel}: {expr}");
                if (series?.Count == 0)
                {
                    failures.AppendLine($"no series: {query} (as sent: {expr})");
                }
            }

            // Each selector on its own too: a misspelt metric in one arm of an 'or' would not empty the whole.
            foreach (var metric in Dashboards.MetricNames(query.Expr))
            {
                if ((await deployment.Prometheus.QueryAsync($"count({{__name__=\"{metric}\"}})")).Count == 0)
                {
                    failures.AppendLine($"metric {metric} is not exported: {query}");
                }
            }
        }

        Assert.True(failures.Length == 0, "Dead dashboard queries:\n" + failures);
    }

    [Fact]
    public async Task Every_dashboard_variable_query_lists_values()
    {
        foreach (var (file, dashboard) in Dashboards.All())
        {
            foreach (var variable in Dashboards.Variables(dashboard).Where(v => v.GetProperty("type").GetString() == "query"))
            {
                var definition = variable.GetProperty("definition").GetString()!;
                var match = LabelValues().Match(definition);
                Assert.True(match.Success, $"{file}: variable {variable.GetProperty("name")} is not label_values(SELECTOR, LABEL): {definition}");
                var values = await deployment.Prometheus.QueryAsync($"count by ({match.Groups[2].Value}) ({match.Groups[1].Value})");
                output.WriteLine($"{file} ${variable.GetProperty("name")}: {values.Count} values");
                Assert.True(values.Count > 0, $"{file}: variable {variable.GetProperty("name")} lists nothing: {definition}");
            }
        }
    }

    /// <summary>
    /// The dashboard variables an expression uses, set to All (<c>.*</c>), then to the run's real
    /// values: the classic project, or the hierarchical one for the edge-only metrics.
    /// </summary>
    private IEnumerable<IReadOnlyDictionary<string, string>> ValueSets(string expr)
    {
        yield return new Dictionary<string, string> { ["project"] = ".*", ["instance"] = ".*" };
        if (expr.Contains("$project", StringComparison.Ordinal) || expr.Contains("$instance", StringComparison.Ordinal))
        {
            var project = expr.Contains("flops_edge_", StringComparison.Ordinal) ? deployment.HierarchicalProjectId : deployment.ProjectId;
            yield return new Dictionary<string, string> { ["project"] = project, ["instance"] = deployment.Instance };
        }
    }

    private async Task<IReadOnlyList<JsonElement>?> QueryOrFailure(string expr, StringBuilder failures, Dashboards.Query query)
    {
        try
        {
            return await deployment.Prometheus.QueryAsync(expr);
        }
        catch (InvalidOperationException e)
        {
            failures.AppendLine($"refused: {query}: {e.Message}");
            return null;
        }
    }

    private static Task<ExternalCommand.Result> Promtool(params string[] arguments) => ExternalCommand.RunAsync("promtool", arguments);

    [GeneratedRegex(@"^\s*-\s*alert:\s*(\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();

    [GeneratedRegex(@"^\s*alertname:\s*(\w+)", RegexOptions.Multiline)]
    private static partial Regex TestedAlertName();

    [GeneratedRegex(@"^label_values\((.+),\s*(\w+)\)$")]
    private static partial Regex LabelValues();
}
