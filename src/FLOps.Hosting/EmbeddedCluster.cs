using FLOps.Grains.Placement;
using FLOps.Grains.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FLOps.Hosting;

/// <summary>
/// One cloud silo and one edge silo per named cluster, side by side in this process: localhost
/// clustering on distinct ports (the edge silos join the cloud silo), grain state and reminders in
/// Orleans' in-memory providers (which are grains, so shared by the silos), one model store and
/// one update journal for all of them. Messages between the silos go over loopback TCP, so what
/// an edge cluster sends the cloud really is serialized.
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly List<IHost> _hosts;

    private EmbeddedCluster(List<IHost> hosts, IReadOnlyList<string> edgeClusters)
    {
        _hosts = hosts;
        EdgeClusters = edgeClusters;
    }

    public IHost Cloud => _hosts[0];

    public IReadOnlyList<IHost> Hosts => _hosts;

    public IReadOnlyList<string> EdgeClusters { get; }

    public IGrainFactory Grains => Cloud.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Starts the silos and returns once every one of them sees every edge cluster live.</summary>
    public static async Task<EmbeddedCluster> StartAsync(IReadOnlyList<string> edgeClusters, EmbeddedSiloOptions cloud, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edgeClusters);
        ArgumentNullException.ThrowIfNull(cloud);
        var models = new InMemoryModelStore();
        var journal = new InMemoryUpdateJournal();
        void Share(IServiceCollection services)
        {
            services.AddSingleton<IModelStore>(models);
            services.AddSingleton<IUpdateJournal>(journal);
        }

        var strict = edgeClusters.Count > 0;
        var cloudOptions = cloud with
        {
            SiloPort = cloud.SiloPort == 0 ? EmbeddedSilo.FreeTcpPort() : cloud.SiloPort,
            Role = SiloRole.CloudSilo,
            StrictEdgePlacement = strict,
        };
        var hosts = new List<IHost> { EmbeddedSilo.Build(cloudOptions, Share) };
        var cluster = new EmbeddedCluster(hosts, edgeClusters);
        try
        {
            await hosts[0].StartAsync(cancellationToken);
            foreach (var name in edgeClusters)
            {
                var edge = EmbeddedSilo.Build(
                    new EmbeddedSiloOptions { Role = SiloRole.EdgeOf(name), PrimarySiloPort = cloudOptions.SiloPort, StrictEdgePlacement = strict, MinimumLogLevel = cloud.MinimumLogLevel, Tls = cloud.Tls },
                    Share);
                hosts.Add(edge);
                await edge.StartAsync(cancellationToken);
            }

            await cluster.WaitUntilEveryClusterIsSeenAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="silos"/> cloud silos side by side, the first one the others join, sharing one
    /// model store and one update journal; <paramref name="configureServices"/> gets each silo's
    /// index and services. Returns once every silo is active.
    /// </summary>
    public static async Task<EmbeddedCluster> StartCloudAsync(int silos, EmbeddedSiloOptions first, Action<int, IServiceCollection>? configureServices, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silos, 1);
        ArgumentNullException.ThrowIfNull(first);
        var models = new InMemoryModelStore();
        var journal = new InMemoryUpdateJournal();
        var primary = first with { SiloPort = first.SiloPort == 0 ? EmbeddedSilo.FreeTcpPort() : first.SiloPort };
        var hosts = new List<IHost>();
        var cluster = new EmbeddedCluster(hosts, []);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var index = i;
                var options = i == 0 ? primary : new EmbeddedSiloOptions { PrimarySiloPort = primary.SiloPort, MinimumLogLevel = first.MinimumLogLevel, Tls = first.Tls };
                var host = EmbeddedSilo.Build(options, services =>
                {
                    services.AddSingleton<IModelStore>(models);
                    services.AddSingleton<IUpdateJournal>(journal);
                    configureServices?.Invoke(index, services);
                });
                hosts.Add(host);
                await host.StartAsync(cancellationToken);
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(60));
            var management = cluster.Grains.GetGrain<IManagementGrain>(0);
            while ((await management.GetHosts(onlyActive: true, limit.Token)).Count < silos)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Silo metadata reaches the other silos' caches shortly after they join; placement needs it.</summary>
    private async Task WaitUntilEveryClusterIsSeenAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        var topologies = _hosts.Select(h => h.Services.GetRequiredService<IEdgeTopology>()).ToList();
        while (!topologies.All(t => EdgeClusters.All(c => t.LiveEdgeClusters().ContainsKey(c))))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Edge silos first, so that the cloud silo is not left waiting on them.
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            try
            {
                await _hosts[i].StopAsync(CancellationToken.None);
            }
            finally
            {
                _hosts[i].Dispose();
            }
        }
    }
}
