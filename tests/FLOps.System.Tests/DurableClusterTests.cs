using System.Diagnostics;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Hosting;
using FLOps.System.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FLOps.System.Tests;

[Collection(PostgresCollection.Name)]
public sealed class DurableClusterTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static ProjectSpec Spec(int devices, int rounds, double latencySeconds, string strategy = "fedavg") => new()
    {
        Strategy = new StrategySpec { Name = strategy },
        Name = "durable",
        DataTag = "mnist",
        Model = new ModelSpec { Kind = "softmax" },
        Training = new TrainingSpec
        {
            Rounds = rounds,
            BatchSize = 16,
            LearningRate = 0.5,
            MinFitClients = devices / 2,
            MinAvailableClients = devices / 2,
            RoundTimeoutSeconds = 120,
        },
        Simulation = new SimulationSpec { Devices = devices, Partition = "iid", Seed = 17, LatencySeconds = latencySeconds },
    };

    [Fact]
    public async Task Killing_the_silo_of_a_running_round_loses_no_acknowledged_update_and_the_project_completes()
    {
        await using var cluster = new DurableCluster(postgres);
        await cluster.StartSilosAsync(3);
        var projectId = "kill-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Grains.GetGrain<IProjectGrain>(projectId).Submit(Spec(devices: 20, rounds: 3, latencySeconds: 6, strategy: "fedavgm"), "system-tests");

        await cluster.WaitFor(projectId, p => p.Rounds.Count == 1, TimeSpan.FromMinutes(2));
        IReadOnlySet<string> acknowledged = new HashSet<string>();
        while (acknowledged.Count < 5)
        {
            acknowledged = await cluster.JournaledDevices(projectId, 2);
            await Task.Delay(50);
        }

        var round = cluster.Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 2));
        var host = await cluster.HostOf(round) ?? throw new InvalidOperationException("round 2 has no activation");
        var acknowledgedBeforeKill = await cluster.JournaledDevices(projectId, 2);
        var clock = Stopwatch.StartNew();
        host.Kill();
        var afterKill = await cluster.WaitFor(projectId, p => p.Rounds.Count >= 2, TimeSpan.FromMinutes(3));
        var recovery = clock.Elapsed;
        var ended = await cluster.WaitFor(projectId, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(3));
        output.WriteLine($"kill → round 2 recorded: {recovery.TotalSeconds:F1} s (round 2 took {afterKill.Rounds[1].Seconds:F1} s in all, resumed {afterKill.Rounds[1].Resumptions}×)");

        Assert.Equal([1, 2, 3], ended.Rounds.Select(r => r.Round));
        Assert.True(ended.Rounds[1].Resumptions >= 1, "round 2 never resumed on another silo");

        // fedavgm's momentum went through the model store: the resumed round imported round 1's.
        Assert.Equal([1.0, 2.0, 3.0], ended.Rounds.Select(r => r.StrategyState!.Scalars["steps"]));
        Assert.Subset((await ProjectInvariants.Aggregated(cluster.Grains, IRoundGrain.KeyFor(projectId, 2, ended.Rounds[1].Attempt))).ToHashSet(), acknowledgedBeforeKill.ToHashSet());
        foreach (var recorded in ended.Rounds)
        {
            Assert.Equal(await cluster.JournaledDevices(projectId, recorded.Round), (await ProjectInvariants.Aggregated(cluster.Grains, IRoundGrain.KeyFor(projectId, recorded.Round, recorded.Attempt))).ToHashSet());
        }
    }

    [Fact]
    public async Task A_cluster_stopped_after_round_2_of_5_continues_from_the_stored_model_and_ends_where_an_uninterrupted_run_ends()
    {
        // fedadam: its moments must survive the restart too, or the final model would differ.
        var spec = Spec(devices: 8, rounds: 5, latencySeconds: 0.5, strategy: "fedadam");
        var projectId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = new DurableCluster(postgres);
        await cluster.StartSilosAsync(2);
        await cluster.Grains.GetGrain<IProjectGrain>(projectId).Submit(spec, "system-tests");
        var beforeStop = await cluster.WaitFor(projectId, p => p.Rounds.Count >= 2, TimeSpan.FromMinutes(2));
        await cluster.KillAllAsync();
        var storedRound2 = beforeStop.Rounds[1].Model;

        var clock = Stopwatch.StartNew();
        await cluster.StartSilosAsync(2);
        var started = clock.Elapsed;
        var ended = await cluster.WaitFor(projectId, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(3));
        output.WriteLine($"restart: silos up after {started.TotalSeconds:F1} s, project completed {clock.Elapsed.TotalSeconds:F1} s after the restart began");

        Assert.Equal([1, 2, 3, 4, 5], ended.Rounds.Select(r => r.Round));
        Assert.Equal(storedRound2, ended.Rounds[1].Model);
        Assert.Equal(storedRound2, ended.Rounds[2].BaseModel);
        Assert.Equal(await UninterruptedFinalModel(spec), ended.Model);
    }

    [Fact]
    public async Task A_silo_that_joins_mid_project_receives_grains()
    {
        await using var cluster = new DurableCluster(postgres);
        await cluster.StartSiloAsync();
        var first = "join-a-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Grains.GetGrain<IProjectGrain>(first).Submit(Spec(devices: 6, rounds: 4, latencySeconds: 1), "system-tests");
        await cluster.WaitFor(first, p => p.Rounds.Count >= 1, TimeSpan.FromMinutes(2));

        var joined = await cluster.StartSiloAsync();
        var second = "join-b-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Grains.GetGrain<IProjectGrain>(second).Submit(Spec(devices: 30, rounds: 1, latencySeconds: 0), "system-tests");
        await cluster.WaitFor(second, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(2));
        await cluster.WaitFor(first, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(2));

        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        var newSilo = (await management.GetHosts(onlyActive: true)).Keys.Single(s => s.Endpoint.Port == joined.SiloPort);
        var statistics = await management.GetDetailedGrainStatistics(hostsIds: [newSilo]);
        Assert.Contains(statistics, s => s.GrainType.Contains("FLOps.Grains", StringComparison.Ordinal));
    }

    private static async Task<Abstractions.Models.ModelRef> UninterruptedFinalModel(ProjectSpec spec)
    {
        using var host = EmbeddedSilo.Build(new EmbeddedSiloOptions());
        await host.StartAsync();
        var project = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IProjectGrain>("uninterrupted");
        await project.Submit(spec with { Simulation = spec.Simulation! with { LatencySeconds = 0 } }, "system-tests");
        ProjectSnapshot snapshot;
        do
        {
            await Task.Delay(100);
            snapshot = await project.GetSnapshot();
        }
        while (!snapshot.State.IsTerminal());

        await host.StopAsync();
        Assert.Equal(ProjectState.Completed, snapshot.State);
        return snapshot.Model;
    }
}
