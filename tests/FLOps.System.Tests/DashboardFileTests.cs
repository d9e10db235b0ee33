using System.Text.Json;
using System.Text.RegularExpressions;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>The dashboards' JSON as Grafana's provisioning loads it: no Grafana needed.</summary>
public sealed partial class DashboardFileTests
{
    private const string DatasourceRef = "${datasource}";

    [Fact]
    public void Dashboards_have_stable_unique_uids_and_a_prometheus_datasource_variable()
    {
        var dashboards = Dashboards.All();
        Assert.True(dashboards.Count >= 4, $"expected the overview, rounds, cluster and gateway dashboards in {Dashboards.Folder}");
        var uids = dashboards.Select(d => d.Json.GetProperty("uid").GetString()!).ToList();
        Assert.Equal(uids.Count, uids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(dashboards, d =>
        {
            Assert.Matches(StableUid(), d.Json.GetProperty("uid").GetString());
            var datasource = Dashboards.Variables(d.Json).SingleOrDefault(v => v.GetProperty("name").GetString() == "datasource");
            Assert.True(datasource.ValueKind == JsonValueKind.Object, $"{d.File}: no 'datasource' variable");
            Assert.Equal("datasource", datasource.GetProperty("type").GetString());
            Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        });
    }

    [Fact]
    public void Every_panel_and_query_variable_is_bound_to_the_datasource_variable_and_every_panel_has_a_query()
    {
        foreach (var (file, dashboard) in Dashboards.All())
        {
            foreach (var panel in Dashboards.Panels(dashboard))
            {
                var where = $"{file}, panel '{panel.GetProperty("title").GetString()}'";
                Assert.True(BoundToVariable(panel), $"{where}: datasource is not {DatasourceRef}");
                var targets = Dashboards.Targets(panel).ToList();
                Assert.True(targets.Count > 0, $"{where}: no target");
                Assert.All(targets, t =>
                {
                    Assert.False(string.IsNullOrWhiteSpace(t.TryGetProperty("expr", out var e) ? e.GetString() : null), $"{where}: a target without expr");
                    Assert.True(!t.TryGetProperty("datasource", out _) || BoundToVariable(t), $"{where}: a target's datasource is not {DatasourceRef}");
                });
            }

            foreach (var variable in Dashboards.Variables(dashboard).Where(v => v.GetProperty("type").GetString() == "query"))
            {
                Assert.True(BoundToVariable(variable), $"{file}: variable {variable.GetProperty("name")} is not bound to {DatasourceRef}");
            }
        }
    }

    [Fact]
    public void Every_range_in_a_query_is_the_rate_interval()
    {
        Assert.All(Dashboards.Queries(), q =>
            Assert.All(RangeSelector().Matches(StringLiteral().Replace(q.Expr, "\"\"")), m => Assert.True(m.Value == "[$__rate_interval]", $"{q}: range {m.Value}, expected [$__rate_interval]")));
    }

    /// <summary>In hierarchical mode a cycle ends with its edge clusters' inner rounds: summed together, rounds would count twice.</summary>
    [Fact]
    public void Round_queries_split_by_level_or_leave_the_edge_rounds_out()
    {
        var roundQueries = Dashboards.Queries().Where(q => RoundMetric().IsMatch(q.Expr)).ToList();
        Assert.NotEmpty(roundQueries);
        Assert.All(roundQueries, q =>
        {
            var groupings = Grouping().Matches(q.Expr).Select(m => m.Groups[1].Value).ToList();
            var split = groupings.Count > 0 && groupings.All(g => g.Split(',').Select(l => l.Trim()).Contains("level"));
            Assert.True(split || q.Expr.Contains("level!=\"edge\"", StringComparison.Ordinal), $"{q}: neither split by level nor without level=\"edge\"");
        });
    }

    [Fact]
    public void The_grafana_provisioning_loads_the_dashboards_folder_from_the_prometheus_datasource()
    {
        var root = PostgresFixture.RepositoryRoot;
        var provider = File.ReadAllText(Path.Combine(root, "infra", "grafana", "provisioning", "dashboards", "flops.yml"));
        var datasource = File.ReadAllText(Path.Combine(root, "infra", "grafana", "provisioning", "datasources", "prometheus.yml"));
        var compose = File.ReadAllText(Path.Combine(root, "infra", "compose.yaml"));
        var path = ProviderPath().Match(provider).Groups[1].Value;
        Assert.Contains($"../dashboards:{path}", compose, StringComparison.Ordinal);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning", compose, StringComparison.Ordinal);
        Assert.Contains("type: prometheus", datasource, StringComparison.Ordinal);
    }

    private static bool BoundToVariable(JsonElement element) =>
        element.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object
        && ds.TryGetProperty("uid", out var uid) && uid.GetString() == DatasourceRef;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,39}$")]
    private static partial Regex StableUid();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeSelector();

    [GeneratedRegex(@"""[^""]*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"flops_round(s_completed|_duration_seconds|_participants)")]
    private static partial Regex RoundMetric();

    [GeneratedRegex(@"\bby\s*\(([^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"path:\s*(\S+)")]
    private static partial Regex ProviderPath();
}
