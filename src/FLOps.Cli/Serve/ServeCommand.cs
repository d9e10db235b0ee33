using System.CommandLine;
using FLOps.Cli.Cluster;
using FLOps.Clustering;
using FLOps.Gateway;
using FLOps.Hosting;
using FLOps.Hosting.Logging;
using FLOps.Storage;
using FLOps.Telemetry;
using FLOps.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FLOps.Cli.Serve;

/// <summary><c>flops serve</c> (silo + HTTP gateway in one process) and <c>flops gateway</c> (gateway as a client of a cluster).</summary>
public static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>What <c>flops serve</c> without <c>--postgres</c> says at start-up, on stdout.</summary>
    public const string InMemoryNotice = "flops serve: state is in memory only and is lost when this process stops; use --postgres for durable state";

    public static Command CreateServe()
    {
        var cluster = new ClusterOptions();
        var urls = UrlsOption();
        var siloPort = new Option<int>("--silo-port") { Description = "Port for silo-to-silo traffic (default: 11111 with --postgres, a free one without)" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port for Orleans clients (default: 30000 with --postgres, a free one without)" };
        var metrics = new MetricsOptions();
        var network = new NetworkOptions();
        var command = new Command("serve", "Run a silo and the HTTP gateway in one process; in memory, or durable with --postgres") { urls, siloPort, gatewayPort };
        foreach (var option in cluster.All.Concat(metrics.All).Concat(network.ForSilo))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var siloNetwork = network.Silo(parse);
            network.CheckUrls(parse, parse.GetValue(urls)!, siloNetwork.Tls);
            var telemetry = metrics.Telemetry(parse, "flops-serve");
            var builder = NewBuilder(parse.GetValue(urls)!, telemetry, siloNetwork.Tls);
            string? notice = null;
            if (parse.GetValue(cluster.Postgres) is { } connectionString)
            {
                var options = cluster.SiloOptions(parse, connectionString, Or(parse.GetValue(siloPort), 11111), Or(parse.GetValue(gatewayPort), 30000)) with { Network = siloNetwork };
                await PostgresDatabase.EnsureReadyAsync(connectionString, cancellationToken);
                builder.UseOrleans(silo => silo.UseFlopsPostgres(options));
                builder.Services.AddSingleton(new DatabaseProbe(connectionString));
            }
            else
            {
                builder.UseOrleans(silo => silo.UseFlopsEmbedded(Or(parse.GetValue(siloPort), EmbeddedSilo.FreeTcpPort()), Or(parse.GetValue(gatewayPort), EmbeddedSilo.FreeTcpPort()), siloNetwork));
                notice = InMemoryNotice;
            }

            return await RunAsync(builder, "serve", parse.GetValue(urls)!, telemetry, notice, cancellationToken);
        });
        return command;
    }

    public static Command CreateGateway()
    {
        var cluster = new ClusterOptions();
        var urls = UrlsOption();
        var metrics = new MetricsOptions();
        var network = new NetworkOptions();
        var command = new Command("gateway", "Run the HTTP gateway as an Orleans client of a durable cluster (--postgres)") { urls };
        foreach (var option in cluster.All.Concat(metrics.All).Concat(network.ForClient))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var tls = network.LoadTls(parse);
            network.CheckUrls(parse, parse.GetValue(urls)!, tls);
            var connectionString = parse.GetValue(cluster.Postgres) ?? throw new UsageException("--postgres is required: the gateway finds the cluster's silos in its database");
            await PostgresDatabase.EnsureReadyAsync(connectionString, cancellationToken);
            var telemetry = metrics.Telemetry(parse, "flops-gateway");
            var builder = NewBuilder(parse.GetValue(urls)!, telemetry, tls);
            builder.UseOrleansClient(client => client.UseFlopsPostgresClient(connectionString, parse.GetValue(cluster.ClusterId)!, parse.GetValue(cluster.ServiceId)!, tls));
            builder.Services.AddSingleton(new DatabaseProbe(connectionString));
            return await RunAsync(builder, "gateway", parse.GetValue(urls)!, telemetry, notice: null, cancellationToken);
        });
        return command;
    }

    private static Option<string> UrlsOption() => new("--urls") { Description = "Where the HTTP API listens", DefaultValueFactory = _ => DefaultUrls };

    private static int Or(int value, int fallback) => value == 0 ? fallback : value;

    /// <summary>
    /// The API's URLs, plus the metrics port when one is given. <c>/metrics</c> answers on both: on
    /// the metrics port to anyone who reaches it, on the API's port only to a metrics key.
    /// </summary>
    /// <param name="tls">Serves the <c>https://</c> URLs with the host's certificate (the cluster's); learners trust its CA with <c>--ca</c>.</param>
    private static WebApplicationBuilder NewBuilder(string urls, FlopsTelemetryOptions telemetry, ClusterTls? tls)
    {
        if (telemetry.MetricsPort is { } metricsPort && ApiPorts(urls).Contains(metricsPort))
        {
            throw new UsageException($"--metrics-port: {metricsPort} is also a port of --urls; the metrics listener needs a port of its own (/metrics on the API's port needs a metrics key)");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(telemetry.MetricsPort is { } port ? $"{urls};http://{telemetry.MetricsHost}:{port}" : urls);
        if (tls is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = tls.Certificate));
        }

        builder.AddFlopsMetrics(telemetry.ServiceName);
        builder.Logging.ClearProviders();
        builder.Logging.AddFlopsConsole();
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        return builder;
    }

    private static IEnumerable<int> ApiPorts(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                continue;   // Kestrel reports a malformed URL itself.
            }

            yield return address.Port;
        }
    }

    /// <param name="notice">A line printed before the "listening" line, such as <see cref="InMemoryNotice"/>.</param>
    private static async Task<int> RunAsync(WebApplicationBuilder builder, string verb, string urls, FlopsTelemetryOptions telemetry, string? notice, CancellationToken cancellationToken)
    {
        ApiKeys keys;
        MetricsKeys metricsKeys;
        try
        {
            keys = ApiKeys.Parse(Environment.GetEnvironmentVariable("FLOPS_API_KEYS"));
            metricsKeys = MetricsKeys.Parse(Environment.GetEnvironmentVariable(MetricsKeys.Variable), keys);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }

        builder.AddFlopsGateway(keys);
        await using var app = builder.Build();
        app.MapFlopsGateway();
        app.MapFlopsMetrics(metricsKeys, telemetry.MetricsPort);
        await app.StartAsync(cancellationToken);
        if (notice is not null)
        {
            await Console.Out.WriteLineAsync(notice);
        }

        await Console.Out.WriteLineAsync($"flops {verb}: listening on {urls}");
        if (keys.GeneratedKey is { } generated)
        {
            await Console.Out.WriteLineAsync($"flops {verb}: no FLOPS_API_KEYS set; generated API key (shown once): {generated}");
        }

        return await CommandLineRunner.RunUntilCancelledAsync(app, cancellationToken);
    }
}
