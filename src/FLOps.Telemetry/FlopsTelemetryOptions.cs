namespace FLOps.Telemetry;

/// <summary>What a process exports: a Prometheus endpoint if a port is given; OTLP if the environment names a collector.</summary>
public sealed record FlopsTelemetryOptions
{
    /// <summary><c>service.name</c> of the process's telemetry (<c>flops-silo</c>, <c>flops-demo</c>, …).</summary>
    public string ServiceName { get; init; } = "flops";

    /// <summary>Port of a Prometheus <c>/metrics</c> endpoint of its own; <see langword="null"/> for none.</summary>
    public int? MetricsPort { get; init; }

    /// <summary>
    /// Where that endpoint listens: loopback unless told; another address of this machine (its
    /// LAN address) for a Prometheus elsewhere. The HttpListener exporter takes one host name, so
    /// there is no "every interface".
    /// </summary>
    public string MetricsHost { get; init; } = DefaultMetricsHost;

    public const string DefaultMetricsHost = "127.0.0.1";
}
