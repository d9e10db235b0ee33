using System.Collections;
using FLOps.Abstractions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FLOps.Telemetry;

/// <summary>
/// The one definition of FLOps' telemetry, used by every host (silo, demo, serve, gateway): which
/// meters and activity sources are exported, the Prometheus endpoint, and OTLP export, which is on
/// only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads that and the other
/// <c>OTEL_*</c> variables itself).
/// </summary>
public static class FlopsTelemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Meters exported by every host: FLOps' own, Orleans' and the .NET runtime's.</summary>
    public static readonly IReadOnlyList<string> Meters = [FlopsInstrumentation.MeterName, "Microsoft.Orleans", "System.Runtime"];

    /// <summary>Activity sources traced: FLOps' rounds and device tasks, Orleans' grain calls.</summary>
    public static readonly IReadOnlyList<string> ActivitySources =
    [
        FlopsInstrumentation.ActivitySourceName,
        Orleans.Diagnostics.ActivitySources.ApplicationGrainActivitySourceName,
        Orleans.Diagnostics.ActivitySources.RuntimeActivitySourceName,
    ];

    public static bool OtlpEnabled => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable));

    /// <summary>
    /// Adds OpenTelemetry when something will export: a metrics port, an OTLP endpoint, or a
    /// host's own exporter in <paramref name="metrics"/> (the gateway's <c>/metrics</c>). With none,
    /// nothing is added and the meters cost nothing.
    /// </summary>
    public static IHostApplicationBuilder AddFlopsTelemetry(
        this IHostApplicationBuilder builder,
        FlopsTelemetryOptions options,
        Action<MeterProviderBuilder>? metrics = null,
        Action<TracerProviderBuilder>? tracing = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var otlp = OtlpEnabled;
        if (!otlp && options.MetricsPort is null && metrics is null)
        {
            return builder;
        }

        // The OTLP exporter reads OTEL_* from the host's configuration, which a host built without
        // defaults (the silos) does not fill from the environment.
        builder.Configuration.AddInMemoryCollection(OtelVariables());
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithMetrics(builder =>
            {
                builder.AddMeter([.. Meters]).AddProcessInstrumentation();
                if (options.MetricsPort is { } port)
                {
                    builder.AddPrometheusHttpListener(o =>
                    {
                        o.Host = options.MetricsHost;
                        o.Port = port;
                    });
                }

                metrics?.Invoke(builder);
            });
        if (otlp)
        {
            telemetry.WithTracing(builder =>
            {
                builder.AddSource([.. ActivitySources]);
                tracing?.Invoke(builder);
            });
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    private static IEnumerable<KeyValuePair<string, string?>> OtelVariables() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value))
            .Where(e => e.Key.StartsWith("OTEL_", StringComparison.Ordinal));
}
