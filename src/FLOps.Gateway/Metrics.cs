using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace FLOps.Gateway;

/// <summary>Prometheus exposition of the process's meters at <c>/metrics</c>.</summary>
public static class Metrics
{
    /// <summary>Meters exported: Orleans, ASP.NET Core and Kestrel, the .NET runtime, and FLOps' own.</summary>
    public static readonly string[] Meters = ["FLOps", "Microsoft.Orleans", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    public static WebApplicationBuilder AddFlopsMetrics(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(Meters).AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapFlopsMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
