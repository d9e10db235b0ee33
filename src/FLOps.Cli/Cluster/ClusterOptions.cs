using System.CommandLine;
using FLOps.Hosting;

namespace FLOps.Cli.Cluster;

/// <summary>The options by which a process joins a durable cluster, shared by the verbs that do.</summary>
public sealed class ClusterOptions
{
    public Option<string?> Postgres { get; } = new("--postgres") { Description = "Npgsql connection string of the cluster's database (see infra/postgres/up.sh)" };

    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "Silos with the same cluster id form one cluster", DefaultValueFactory = _ => PostgresCluster.DefaultClusterId };

    public Option<string> ServiceId { get; } = new("--service-id") { Description = "Keys grain state and reminders; keep it to continue after a restart", DefaultValueFactory = _ => PostgresCluster.DefaultServiceId };

    public Option<double> ProjectTickSeconds { get; } = new("--project-tick") { Description = "Seconds between a running project's checks on its current round", DefaultValueFactory = _ => 10 };

    public IEnumerable<Option> All => [Postgres, ClusterId, ServiceId, ProjectTickSeconds];

    public PostgresSiloOptions SiloOptions(ParseResult parse, string connectionString, int siloPort, int gatewayPort)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var tick = parse.GetValue(ProjectTickSeconds);
        if (!double.IsFinite(tick) || tick is < 1 or > 3600)
        {
            throw new UsageException($"--project-tick: must be between 1 and 3600 seconds (got {tick})");
        }

        return new PostgresSiloOptions
        {
            ConnectionString = connectionString,
            ClusterId = parse.GetValue(ClusterId)!,
            ServiceId = parse.GetValue(ServiceId)!,
            SiloPort = siloPort,
            GatewayPort = gatewayPort,
            ProjectTick = TimeSpan.FromSeconds(tick),
        };
    }
}
