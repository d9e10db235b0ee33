using System.Text.Json;
using System.Text.RegularExpressions;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>The Grafana dashboards in <c>dashboards/</c>, read as Grafana reads them.</summary>
public static partial class Dashboards
{
    /// <summary>One target (query) of one panel of one dashboard.</summary>
    public sealed record Query(string Dashboard, string Panel, string Expr)
    {
        public override string ToString() => $"dashboard '{Dashboard}', panel '{Panel}': {Expr}";
    }

    public static string Folder => Path.Combine(PostgresFixture.RepositoryRoot, "dashboards");

    public static IReadOnlyList<(string File, JsonElement Json)> All() =>
        [.. Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()))];

    /// <summary>Every panel, including those nested in collapsed rows; rows themselves are only containers.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            if (panel.GetProperty("type").GetString() == "row")
            {
                if (panel.TryGetProperty("panels", out var nested))
                {
                    foreach (var inner in nested.EnumerateArray())
                    {
                        yield return inner;
                    }
                }
            }
            else
            {
                yield return panel;
            }
        }
    }

    public static IEnumerable<JsonElement> Targets(JsonElement panel) =>
        panel.TryGetProperty("targets", out var targets) ? targets.EnumerateArray() : [];

    public static IEnumerable<JsonElement> Variables(JsonElement dashboard) =>
        dashboard.TryGetProperty("templating", out var templating) ? templating.GetProperty("list").EnumerateArray() : [];

    public static IEnumerable<Query> Queries() =>
        from d in All()
        from panel in Panels(d.Json)
        from target in Targets(panel)
        select new Query(d.Json.GetProperty("title").GetString()!, panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!);

    /// <summary>
    /// Replaces Grafana's variables in an expression as Grafana would before sending it:
    /// <c>$__rate_interval</c>, <c>$__interval</c>, <c>$__range</c> by the given window, the
    /// dashboard's own variables (<c>$name</c>, <c>${name}</c>, <c>${name:format}</c>) by the
    /// given values. A variable without a value is left as it is, and Prometheus refuses it.
    /// </summary>
    public static string Substitute(string expr, string window, IReadOnlyDictionary<string, string> values) =>
        VariablePattern().Replace(expr, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["plain"].Value;
            return name switch
            {
                "__rate_interval" or "__interval" or "__range" => window,
                _ when values.TryGetValue(name, out var value) => value,
                _ => m.Value,
            };
        });

    /// <summary>Metric names an expression selects (a name followed by a label matcher or a range).</summary>
    public static IEnumerable<string> MetricNames(string expr) =>
        SelectorPattern().Matches(expr).Select(m => m.Groups[1].Value).Where(n => !PromQlWords.Contains(n)).Distinct(StringComparer.Ordinal);

    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset" };

    [GeneratedRegex(@"\$(?:\{(?<braced>\w+)(?::\w+)?\}|(?<plain>\w+))")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"(?<![\w""$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[\{\[]")]
    private static partial Regex SelectorPattern();
}
