using FLOps.Clustering;
using FLOps.Grains;
using FLOps.Grains.Placement;
using FLOps.Grains.Services;
using FLOps.Hosting.Logging;
using FLOps.Hosting.Network;
using FLOps.Hosting.Resilience;
using FLOps.Storage;
using FLOps.Telemetry;
using FLOps.Tls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace FLOps.Hosting;

/// <summary>Where a durable silo keeps its state and how it joins its cluster.</summary>
public sealed record PostgresSiloOptions
{
    public required string ConnectionString { get; init; }

    /// <summary>Silos with the same cluster and service id form one cluster.</summary>
    public string ClusterId { get; init; } = PostgresCluster.DefaultClusterId;

    /// <summary>Keys grain state and reminders: keep it across restarts to continue where the cluster stopped.</summary>
    public string ServiceId { get; init; } = PostgresCluster.DefaultServiceId;

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>How often a running project's reminder checks its current round.</summary>
    public TimeSpan ProjectTick { get; init; } = TimeSpan.FromSeconds(10);

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    public FlopsTelemetryOptions Telemetry { get; init; } = new() { ServiceName = "flops-silo" };

    /// <summary>Cloud (the default) or an edge silo of a named cluster, published as silo metadata.</summary>
    public SiloRole Role { get; init; } = SiloRole.CloudSilo;

    /// <summary>The address it is reached at and listens on, and its TLS; loopback and plaintext by default.</summary>
    public SiloNetwork Network { get; init; } = SiloNetwork.Loopback;
}

/// <summary>
/// A silo (or client) of a durable cluster: membership, grain state and reminders in PostgreSQL
/// through the Orleans ADO.NET providers, models and the update journal in FLOps' own tables.
/// </summary>
public static class PostgresCluster
{
    public const string DefaultClusterId = "flops";
    public const string DefaultServiceId = "flops";
    private const string Invariant = "Npgsql";

    /// <summary>Checks the database first, so that a wrong connection string or a missing schema is one clear line.</summary>
    public static async Task<IHost> BuildSiloAsync(PostgresSiloOptions options, CancellationToken cancellationToken, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        await PostgresDatabase.EnsureReadyAsync(options.ConnectionString, cancellationToken);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables(); // Flops__Limits__… and the like reach the silo's options
        builder.Logging.AddFlopsConsole(options.MinimumLogLevel);
        builder.UseOrleans(silo => silo.UseFlopsPostgres(options));
        builder.AddFlopsTelemetry(options.Telemetry);
        if (options.Telemetry.MetricsPort is { } metricsPort)
        {
            builder.Services.AddHostedService(services => new SiloReadinessEndpoint(
                options.Telemetry.MetricsHost, metricsPort, new DatabaseProbe(options.ConnectionString), services.GetRequiredService<ILogger<SiloReadinessEndpoint>>()));
        }

        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    public static ISiloBuilder UseFlopsPostgres(this ISiloBuilder silo, PostgresSiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = options.ConnectionString;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        silo.ConfigureEndpoints(options.Network.Advertise, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: options.Network.ListenOnAnyInterface);
        if (options.Network.Tls is { } tls)
        {
            silo.UseClusterTls(tls);
        }

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(FlopsStorage.ProviderName, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.WrapGrainStorageWithRetries(FlopsStorage.ProviderName);
        silo.Services.AddStorageExceptionSerialization();
        silo.Services.AddSingleton<IFatalErrorHandler, ExitWhenDeclaredDead>();
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });

        // A silo that dies is declared dead within seconds, so its grains come back elsewhere
        // quickly, and silos of a cluster that went down whole count as gone after 15 s without
        // writing their I-am-alive row, so a restarted cluster need not wait 90 s for them.
        // The defaults are tuned for large clusters on slower networks.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            o.NumMissedTableIAmAliveLimit = 3;

            // A silo that was paused (SIGSTOP, a VM freeze) learns it was declared dead when it next
            // reads the table, and only then stops; meanwhile its devices still send updates. The
            // default re-reads once a minute.
            o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        });
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(Math.Min(60, options.ProjectTick.TotalSeconds)));
        silo.Services.Configure<FlopsGrainOptions>(o => o.ProjectTick = options.ProjectTick);

        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        silo.Services.AddSingleton<IModelStore, PostgresModelStore>();
        silo.Services.AddSingleton<IUpdateJournal, PostgresUpdateJournal>();
        // A durable cluster is a real deployment: an edge cluster's grains live on its silos or nowhere.
        return silo.AddFlopsGrains(options.Role, strictEdgePlacement: true);
    }

    /// <summary>An Orleans client of a durable cluster; it finds the gateways in the membership table.</summary>
    public static IHost BuildClient(string connectionString, string clusterId = DefaultClusterId, string serviceId = DefaultServiceId, ClusterTls? tls = null)
    {
        PostgresDatabase.Parse(connectionString);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFlopsConsole();
        builder.UseOrleansClient(client => client.UseFlopsPostgresClient(connectionString, clusterId, serviceId, tls));
        return builder.Build();
    }

    /// <param name="tls">The client's certificate and the cluster CA, when the cluster's silos require TLS.</param>
    public static IClientBuilder UseFlopsPostgresClient(this IClientBuilder client, string connectionString, string clusterId = DefaultClusterId, string serviceId = DefaultServiceId, ClusterTls? tls = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = serviceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.Services.AddStorageExceptionSerialization();
        client.AddActivityPropagation();
        if (tls is not null)
        {
            client.UseClusterTls(tls);
        }

        return client;
    }
}
