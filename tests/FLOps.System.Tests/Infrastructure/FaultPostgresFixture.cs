using System.Globalization;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>How PostgreSQL is stopped: <c>fast</c> ends every session and checkpoints; <c>immediate</c> kills the server, as a crash would.</summary>
public enum PostgresStop
{
    Fast,
    Immediate,
}

/// <summary>
/// A PostgreSQL cluster of the fault tests' own (<c>FLOPS_PG_CLUSTER=faults</c>, port
/// <c>FLOPS_FAULTS_PGPORT</c> or 5499), made by <c>infra/postgres/up.sh</c> beside the shared
/// one and stopped and started by <c>infra/postgres/ctl.sh</c>: the tests that take their database
/// down never take down the one every other test uses.
/// </summary>
public sealed class FaultPostgresFixture : IAsyncLifetime
{
    public const string ClusterName = "faults";

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["FLOPS_PG_CLUSTER"] = ClusterName,
        ["PGPORT"] = (global::System.Environment.GetEnvironmentVariable("FLOPS_FAULTS_PGPORT") is { Length: > 0 } port ? int.Parse(port, CultureInfo.InvariantCulture) : 5499).ToString(CultureInfo.InvariantCulture),
    };

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() =>
        ConnectionString = (await ExternalCommand.RunInfraScriptAsync("postgres/up.sh", Environment)).EnsureSuccess().LastLine;

    /// <summary>Stops this cluster alone; returns once the server is gone.</summary>
    public async Task StopAsync(PostgresStop mode) =>
        (await ExternalCommand.RunInfraScriptAsync("postgres/ctl.sh", Environment, "stop", mode == PostgresStop.Fast ? "fast" : "immediate")).EnsureSuccess();

    /// <summary>
    /// Starts this cluster; returns once it accepts connections. The test's own pooled connections
    /// died with the server and are dropped, so that the test's checks do not trip over them.
    /// </summary>
    public async Task StartAsync()
    {
        (await ExternalCommand.RunInfraScriptAsync("postgres/ctl.sh", Environment, "start")).EnsureSuccess();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    /// <summary>A test that fails during an outage must not leave the next one without a database.</summary>
    public Task DisposeAsync() => StartAsync();
}

/// <summary>Fault tests run one at a time, on their own database: an outage of one must not be the fault of another.</summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultPostgresFixture>
{
    public const string Name = "Faults";
}
