using FLOps.Hosting;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FLOps.Gateway;

/// <summary>Prometheus exposition of the process's meters at <c>/metrics</c>, on the API's own port.</summary>
public static class Metrics
{
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

    public static WebApplication MapFlopsMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
