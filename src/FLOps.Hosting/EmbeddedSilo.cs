using System.Net;
using System.Net.Sockets;
using FLOps.Abstractions.Limits;
using FLOps.Grains;
using FLOps.Grains.Placement;
using FLOps.Hosting.Logging;
using FLOps.Hosting.Network;
using FLOps.Telemetry;
using FLOps.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace FLOps.Hosting;

/// <summary>Where an embedded silo listens; a port of 0 means "pick a free one".</summary>
public sealed record EmbeddedSiloOptions
{
    public int SiloPort { get; init; }

    public int GatewayPort { get; init; }

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    public FlopsTelemetryOptions Telemetry { get; init; } = new();

    /// <summary>Cloud (the default) or an edge silo of a named cluster.</summary>
    public SiloRole Role { get; init; } = SiloRole.CloudSilo;

    /// <summary>The silo port of the first silo, for a further silo of the same process to join it; 0 for the first one.</summary>
    public int PrimarySiloPort { get; init; }

    /// <summary>See <see cref="EdgePlacementOptions.Strict"/>: on when the process hosts edge silos.</summary>
    public bool StrictEdgePlacement { get; init; }

    /// <summary>Mutual TLS between the process's silos (what it costs is measured by <c>flops bench transport</c>).</summary>
    public ClusterTls? Tls { get; init; }
}

/// <summary>
/// A silo inside the calling process: localhost clustering and in-memory grain storage, so
/// that nothing has to be installed. Grains are reached through the host's <see cref="IGrainFactory"/>.
/// </summary>
public static class EmbeddedSilo
{
    public static IHost Build(EmbeddedSiloOptions options, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFlopsConsole(options.MinimumLogLevel);
        // The embedded silo is an implementation detail of one process: only its errors are news to the user.
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        var siloPort = options.SiloPort == 0 ? FreeTcpPort() : options.SiloPort;
        var gatewayPort = options.GatewayPort == 0 ? FreeTcpPort() : options.GatewayPort;
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, options.PrimarySiloPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort));
            silo.AddFlopsInMemoryState().AddFlopsGrains(options.Role, options.StrictEdgePlacement);
            if (options.Tls is { } tls)
            {
                silo.UseClusterTls(tls);
            }
        });
        builder.AddFlopsTelemetry(options.Telemetry);
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// The embedded configuration of a silo builder: a cluster of this one silo, state and
    /// reminders in memory; reached on loopback unless <paramref name="network"/> says otherwise.
    /// </summary>
    public static ISiloBuilder UseFlopsEmbedded(this ISiloBuilder silo, int siloPort, int gatewayPort, SiloNetwork? network = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        network ??= SiloNetwork.Loopback;
        silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(network.Advertise, siloPort));
        // Configured after localhost clustering, so the advertised address replaces its loopback one.
        silo.ConfigureEndpoints(network.Advertise, siloPort, gatewayPort, listenOnAnyHostAddress: network.ListenOnAnyInterface);
        if (network.Tls is { } tls)
        {
            silo.UseClusterTls(tls);
        }

        return silo.AddFlopsInMemoryState().AddFlopsGrains();
    }

    /// <summary>Grain state and reminders that live as long as the process (embedded silos, test clusters).</summary>
    public static ISiloBuilder AddFlopsInMemoryState(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.AddMemoryGrainStorage(FlopsStorage.ProviderName);
        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>
    /// What every FLOps silo needs whatever its clustering and storage: grain services, the state
    /// serializer, and its role (cloud unless said otherwise) published for edge placement.
    /// </summary>
    public static ISiloBuilder AddFlopsGrains(this ISiloBuilder silo, SiloRole? role = null, bool strictEdgePlacement = false)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.AddFlopsEdgePlacement(role ?? SiloRole.CloudSilo, strictEdgePlacement);

        // Grain state goes through the Orleans serializer, the same version-tolerant codecs as
        // messages ([GenerateSerializer]/[Id]), not the JSON default that cannot read records.
        silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        silo.Services.AddFlopsGrainServices();

        // Limits come from the host's configuration (Flops:Limits, e.g. Flops__Limits__MaxModelParameters).
        silo.Services.Configure<FlopsLimits>(silo.Configuration.GetSection(FlopsLimits.Section));

        // Activity.Current travels with grain calls, so a device's task span is a child of its round's.
        silo.AddActivityPropagation();
        return silo;
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
