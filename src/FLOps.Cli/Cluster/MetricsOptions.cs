using System.CommandLine;
using System.Net;
using FLOps.Telemetry;

namespace FLOps.Cli.Cluster;

/// <summary><c>--metrics-port</c> and <c>--metrics-host</c>: where a process serves Prometheus <c>/metrics</c>.</summary>
public sealed class MetricsOptions
{
    public Option<int?> Port { get; } = new("--metrics-port") { Description = "Serve Prometheus /metrics on this port" };

    public Option<string> Host { get; } = new("--metrics-host")
    {
        Description = "Address of this machine the /metrics endpoint listens on (default loopback)",
        DefaultValueFactory = _ => FlopsTelemetryOptions.DefaultMetricsHost,
    };

    public IEnumerable<Option> All => [Port, Host];

    /// <summary>The telemetry of a process named <paramref name="serviceName"/>, with the endpoint asked for.</summary>
    public FlopsTelemetryOptions Telemetry(ParseResult parse, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var port = parse.GetValue(Port);
        if (port is < 1 or > 65535)
        {
            throw new UsageException($"--metrics-port: must be between 1 and 65535 (got {port})");
        }

        var host = parse.GetValue(Host)!.Trim();
        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal) || host.Contains('*', StringComparison.Ordinal))
        {
            throw new UsageException($"--metrics-host: expected a host name or IPv4 address (got '{host}')");
        }

        var telemetry = new FlopsTelemetryOptions { ServiceName = serviceName, MetricsPort = port, MetricsHost = host };
        if (port is not null)
        {
            EnsureCanListen(telemetry);
        }

        return telemetry;
    }

    /// <summary>One line now rather than a host that fails to start with a stack trace.</summary>
    private static void EnsureCanListen(FlopsTelemetryOptions telemetry)
    {
        using var listener = new HttpListener();
        try
        {
            listener.Prefixes.Add($"http://{telemetry.MetricsHost}:{telemetry.MetricsPort}/");
            listener.Start();
        }
        catch (Exception e) when (e is HttpListenerException or ArgumentException)
        {
            throw new EnvironmentException($"--metrics-port: cannot serve /metrics on {telemetry.MetricsHost}:{telemetry.MetricsPort}: {e.Message}");
        }
    }
}
