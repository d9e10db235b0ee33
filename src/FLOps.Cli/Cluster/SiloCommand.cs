using System.CommandLine;
using FLOps.Grains.Placement;
using FLOps.Hosting;

namespace FLOps.Cli.Cluster;

public static class SiloCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var siloPort = new Option<int>("--silo-port") { Description = "Port for silo-to-silo traffic", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int?>("--gateway-port") { Description = "Port for Orleans clients (default 30000 on a cloud silo; an edge silo takes none unless given one, 0 = none)" };
        var role = new Option<string>("--role") { Description = "cloud or edge", DefaultValueFactory = _ => "cloud" };
        var edgeCluster = new Option<string?>("--cluster") { Description = "Edge cluster of an edge silo" };
        var metrics = new MetricsOptions();
        var network = new NetworkOptions();
        var command = new Command("silo", "Run one silo of a durable cluster (membership, state and reminders in PostgreSQL)")
        {
            siloPort, gatewayPort, role, edgeCluster,
        };
        foreach (var option in cluster.All.Concat(metrics.All).Concat(network.ForSilo))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var siloNetwork = network.Silo(parse);
            var connectionString = parse.GetValue(cluster.Postgres) ?? throw new UsageException("--postgres is required: a silo keeps its cluster's state in PostgreSQL (infra/postgres/up.sh prints the connection string)");
            SiloRole siloRole;
            try
            {
                siloRole = SiloRole.Parse(parse.GetValue(role), parse.GetValue(edgeCluster));
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            // Clients (the gateway, programmatic clients) belong in the cloud: a client that routes a
            // call through an edge silo whose link is cut waits out the response timeout, even for a
            // grain of another cluster (found by the network tests).
            var clientPort = parse.GetValue(gatewayPort) ?? (siloRole.IsEdge ? 0 : 30000);
            var options = cluster.SiloOptions(parse, connectionString, parse.GetValue(siloPort), clientPort) with
            {
                Telemetry = metrics.Telemetry(parse, "flops-silo"),
                Role = siloRole,
                Network = siloNetwork,
            };
            using var host = await PostgresCluster.BuildSiloAsync(options, cancellationToken);
            await host.StartAsync(cancellationToken);
            var endpoint = options.Telemetry.MetricsPort is { } port ? $", metrics http://{options.Telemetry.MetricsHost}:{port}/metrics" : "";
            await Console.Out.WriteLineAsync($"flops silo ready: {siloNetwork.Advertise}:{options.SiloPort}{(siloNetwork.ListenOnAnyInterface ? " (listening on every interface)" : "")}, {(options.GatewayPort == 0 ? "no client gateway" : $"gateway {options.GatewayPort}")}, {(siloNetwork.Tls is null ? "plaintext" : "mutual TLS")}, cluster '{options.ClusterId}', service '{options.ServiceId}', role {siloRole}{endpoint}");
            return await CommandLineRunner.RunUntilCancelledAsync(host, cancellationToken);
        });
        return command;
    }
}
