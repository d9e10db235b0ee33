using FLOps.Abstractions.Projects;
using FLOps.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// Silo processes of one cluster (its own cluster and service id in the shared database) and an
/// Orleans client in the test process that reaches them through the membership table.
/// </summary>
public sealed class DurableCluster : IAsyncDisposable
{
    private readonly List<CommandProcess> _silos = [];
    private IHost? _client;

    public DurableCluster(PostgresFixture postgres)
        : this((postgres ?? throw new ArgumentNullException(nameof(postgres))).ConnectionString)
    {
    }

    /// <summary>A cluster on the database of <paramref name="connectionString"/> (the fault tests' own, say).</summary>
    public DurableCluster(string connectionString)
    {
        ConnectionString = connectionString;
        ClusterId = "test-" + Guid.NewGuid().ToString("N")[..10];
    }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    public IReadOnlyList<CommandProcess> Silos => _silos;

    public IGrainFactory Grains => _client?.Services.GetRequiredService<IGrainFactory>() ?? throw new InvalidOperationException("No client: start a silo first.");

    /// <summary>Starts a silo; <paramref name="roleArgs"/> such as <c>--role edge --cluster edge-a</c> (a cloud silo without).</summary>
    public async Task<CommandProcess> StartSiloAsync(params string[] roleArgs)
    {
        var silo = await CommandProcess.StartAsync(ConnectionString, ClusterId, 2, roleArgs);
        _silos.Add(silo);
        if (_client is null)
        {
            _client = PostgresCluster.BuildClient(ConnectionString, ClusterId, ClusterId);
            await _client.StartAsync();
        }

        return silo;
    }

    public async Task StartSilosAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await StartSiloAsync();
        }
    }

    /// <summary>Asks the cluster which silo hosts the grain, and returns that silo's process.</summary>
    public async Task<CommandProcess?> HostOf(IAddressable grain)
    {
        var address = await Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return address is null ? null : _silos.SingleOrDefault(s => s.SiloPort == address.Endpoint.Port);
    }

    /// <summary>Kills every silo; the client is dropped too, as with a whole cluster going down.</summary>
    public async Task KillAllAsync()
    {
        foreach (var silo in _silos)
        {
            silo.Kill();
        }

        if (_client is not null)
        {
            await _client.StopAsync(new CancellationToken(canceled: true)).ContinueWith(_ => { }, TaskScheduler.Default);
            _client.Dispose();
            _client = null;
        }
    }

    /// <summary>
    /// Polls the project until the condition holds, riding out the seconds in which calls fail
    /// because a silo just died.
    /// </summary>
    public async Task<ProjectSnapshot> WaitFor(string projectId, Func<ProjectSnapshot, bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var snapshot = await Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot().WaitAsync(TimeSpan.FromSeconds(10));
                if (condition(snapshot))
                {
                    return snapshot;
                }

                if (snapshot.State.IsTerminal())
                {
                    throw new InvalidOperationException($"project {projectId} ended {snapshot.State}: {snapshot.Reason}");
                }
            }
            catch (Exception e) when (e is not InvalidOperationException)
            {
                last = e;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"project {projectId} did not get there within {limit}; last error: {last?.Message}\n{string.Join("\n---\n", _silos.Select(s => s.Log[^Math.Min(3000, s.Log.Length)..]))}");
    }

    /// <summary>The devices whose updates the journal holds for a round: the acknowledged ones.</summary>
    public async Task<IReadOnlySet<string>> JournaledDevices(string projectId, int round)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT device_id FROM flops_update_journal WHERE project_id = $1 AND round = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = projectId });
        command.Parameters.Add(new NpgsqlParameter { Value = round });
        var devices = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            devices.Add(reader.GetString(0));
        }

        return devices;
    }

    /// <summary>What the membership table says of a silo of this cluster: Active, Dead, … (Orleans' <see cref="SiloStatus"/>).</summary>
    public async Task<SiloStatus> MembershipStatus(CommandProcess silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Port = $2 ORDER BY Generation DESC LIMIT 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ClusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = silo.SiloPort });
        return await command.ExecuteScalarAsync() is int status ? (SiloStatus)status : SiloStatus.None;
    }

    /// <summary>
    /// A grain's state as its storage holds it (not as its activation holds it in memory):
    /// <paramref name="stateName"/> such as <c>project</c> or <c>round</c>, null if never written.
    /// </summary>
    public async Task<(T State, int Version)?> StoredState<T>(string stateName, string key)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT PayloadBinary, Version FROM OrleansStorage WHERE ServiceId = $1 AND GrainTypeString = $2 AND GrainIdExtensionString = $3",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ClusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.IsDBNull(0))
        {
            return null;
        }

        var serializer = _client?.Services.GetRequiredService<Orleans.Serialization.Serializer>() ?? throw new InvalidOperationException("No client: start a silo first.");
        var state = serializer.Deserialize<T>((byte[])reader[0]) ?? throw new InvalidDataException($"the stored {stateName} state of '{key}' reads as null");
        return (state, reader.GetInt32(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(new CancellationToken(canceled: true)).ContinueWith(_ => { }, TaskScheduler.Default);
            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }
}
