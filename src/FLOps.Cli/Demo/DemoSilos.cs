using FLOps.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FLOps.Cli.Demo;

/// <summary>The silos a demo runs on: one embedded silo, a cloud silo with edge silos beside it, or a silo of a durable cluster.</summary>
internal sealed class DemoSilos : IAsyncDisposable
{
    private readonly IHost? _host;
    private readonly EmbeddedCluster? _cluster;

    private DemoSilos(IHost? host, EmbeddedCluster? cluster, string description)
    {
        _host = host;
        _cluster = cluster;
        Description = description;
    }

    public IGrainFactory Grains => _cluster?.Grains ?? _host!.Services.GetRequiredService<IGrainFactory>();

    public string Description { get; }

    public static async Task<DemoSilos> StartAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        if (settings.EdgeClusters > 0)
        {
            var cluster = await EmbeddedCluster.StartAsync(
                settings.EdgeClusterNames, new EmbeddedSiloOptions { SiloPort = settings.SiloPort, GatewayPort = settings.GatewayPort, Telemetry = settings.Telemetry }, cancellationToken);
            return new DemoSilos(null, cluster, $"1 cloud silo and {settings.EdgeClusters} edge silos ({string.Join(", ", cluster.EdgeClusters)})");
        }

        var host = settings.Durable is { } durable
            ? await PostgresCluster.BuildSiloAsync(durable with { SiloPort = FreePortOr(durable.SiloPort), GatewayPort = FreePortOr(durable.GatewayPort) }, cancellationToken)
            : EmbeddedSilo.Build(new EmbeddedSiloOptions { SiloPort = settings.SiloPort, GatewayPort = settings.GatewayPort, Telemetry = settings.Telemetry });
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new DemoSilos(host, null, settings.Durable is null ? "one embedded silo" : "the durable cluster's live edge clusters");
    }

    /// <summary>Stops the silos; a second call does nothing (the demo stops them before its last lines).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }
    }

    private bool _disposed;

    private static int FreePortOr(int port) => port == 0 ? EmbeddedSilo.FreeTcpPort() : port;
}
