using FLOps.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FLOps.Gateway;

/// <summary>
/// Prometheus exposition of the process's meters at <c>/metrics</c>. Its series name every
/// tenant's projects (the <c>project</c> label) with their accuracy, so it is the operator's: on
/// the API's port it answers only to a metrics key (<see cref="MetricsKeys"/>); on the
/// <c>--metrics-port</c> listener, loopback unless told otherwise, it needs none.
/// </summary>
public static class Metrics
{
    public const string ScrapePath = "/metrics";

    /// <summary>Meters the gateway adds to <see cref="FlopsTelemetry.Meters"/>: ASP.NET Core's and Kestrel's.</summary>
    public static readonly IReadOnlyList<string> HttpMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static WebApplicationBuilder AddFlopsMetrics(this WebApplicationBuilder builder, string serviceName = "flops-gateway")
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFlopsTelemetry(
            new FlopsTelemetryOptions { ServiceName = serviceName },
            metrics => metrics.AddMeter([.. HttpMeters]).AddPrometheusExporter(),
            tracing => tracing.AddAspNetCoreInstrumentation());
        return builder;
    }

    /// <summary>
    /// Maps <c>/metrics</c>: open on connections to <paramref name="metricsPort"/> (the operator's
    /// listener, if there is one), else only with <c>Authorization: Bearer &lt;metrics key&gt;</c>.
    /// The port is the connection's local port, which a client cannot choose the way it chooses a
    /// <c>Host</c> header; no API URL may share it (<c>flops serve</c> refuses that).
    /// </summary>
    public static WebApplication MapFlopsMetrics(this WebApplication app, MetricsKeys keys, int? metricsPort = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(keys);
        app.MapPrometheusScrapingEndpoint(
            ScrapePath,
            meterProvider: null,
            configureBranchedPipeline: branch => branch.Use(next => context => MayScrape(context, keys, metricsPort) ? next(context) : Refuse(context)),
            optionsName: null);
        return app;
    }

    private static bool MayScrape(HttpContext context, MetricsKeys keys, int? metricsPort)
    {
        if (metricsPort is { } port && context.Connection.LocalPort == port)
        {
            return true;
        }

        const string scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && keys.Accepts(header[scheme.Length..].Trim());
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var given = context.Request.Headers.Authorization.Count > 0 ? "that key is not a metrics key" : "a metrics key is required";
        return Problems.Unauthorized(
            $"{given}: /metrics lists every tenant's projects, so on the API's port it is for the operator, with Authorization: Bearer <key> "
            + $"for a key of {MetricsKeys.Variable} (API keys do not count); or scrape the --metrics-port listener, which needs no key").ExecuteAsync(context);
    }
}
