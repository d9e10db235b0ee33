using System.Text.Json;
using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Projects;
using FLOps.Gateway;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>One cloud silo and two edge silos (edge-a, edge-b), each its own <c>flops silo</c> process.</summary>
[Collection(PostgresCollection.Name)]
public sealed class HierarchicalClusterTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly string[] EdgeClusters = ["edge-a", "edge-b"];

    private static ProjectSpec Spec(int cycles, int innerRounds, double latencySeconds) => new()
    {
        Name = "hierarchical",
        DataTag = "mnist",
        Model = new ModelSpec { Kind = "softmax" },
        Training = new TrainingSpec
        {
            Mode = "hierarchical",
            Cycles = cycles,
            Rounds = innerRounds,
            BatchSize = 16,
            LearningRate = 0.5,
            MinFitClients = 2,
            MinAvailableClients = 2,
            RoundTimeoutSeconds = 60,
        },
        Simulation = new SimulationSpec { Devices = 10, Partition = "iid", Seed = 5, LatencySeconds = latencySeconds, Clusters = EdgeClusters },
    };

    /// <summary>Starts the three silos; returns each silo port's edge cluster (<see langword="null"/> for the cloud silo).</summary>
    private static async Task<Dictionary<int, string?>> StartCloudAndEdges(DurableCluster cluster)
    {
        var roles = new Dictionary<int, string?> { [(await cluster.StartSiloAsync()).SiloPort] = null };
        foreach (var edge in EdgeClusters)
        {
            roles[(await cluster.StartSiloAsync("--role", "edge", "--cluster", edge)).SiloPort] = edge;
        }

        await WaitUntilTheCloudSees(cluster, EdgeClusters);
        return roles;
    }

    private static async Task WaitUntilTheCloudSees(DurableCluster cluster, IReadOnlyList<string> edges)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!edges.All((await cluster.Grains.GetGrain<ITopologyGrain>(0).LiveEdgeClusters()).ContainsKey))
        {
            Assert.True(DateTime.UtcNow < deadline, "the cloud silo never saw every edge cluster");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Every_device_and_edge_aggregator_of_a_finished_project_was_active_only_on_silos_of_its_cluster()
    {
        await using var cluster = new DurableCluster(postgres);
        var roles = await StartCloudAndEdges(cluster);
        var projectId = "hier-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Grains.GetGrain<IProjectGrain>(projectId).Submit(Spec(cycles: 2, innerRounds: 2, latencySeconds: 0), "system-tests");
        var ended = await cluster.WaitFor(projectId, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(3));
        Assert.All(ended.Rounds, c => Assert.All(c.Clusters, k => Assert.True(k.Included, k.Reason)));

        // Which silo hosts which activation, as the cluster's management grain reports it.
        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        var activations = (await management.GetDetailedGrainStatistics())
            .Where(a => a.GrainId.Key.ToString()!.StartsWith(projectId, StringComparison.Ordinal))
            .Select(a => (Type: a.GrainType, Key: a.GrainId.Key.ToString()!, SiloCluster: roles[a.SiloAddress.Endpoint.Port]))
            .ToList();
        foreach (var a in activations)
        {
            output.WriteLine($"{a.Type.Split(',')[0]} {a.Key} on {a.SiloCluster ?? "cloud"}");
        }

        var devices = activations.Where(a => a.Type.Contains("DeviceGrain", StringComparison.Ordinal)).ToList();
        var edgeAggregators = activations.Where(a => a.Type.Contains("EdgeAggregatorGrain", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, devices.Count);
        Assert.Equal(4, edgeAggregators.Count);
        Assert.All(devices.Concat(edgeAggregators), a => Assert.Equal(EdgeKeys.ClusterOf(a.Key), a.SiloCluster));
        Assert.All(
            activations.Where(a => a.Type.Contains("ProjectGrain", StringComparison.Ordinal) || a.Type.Contains("RootAggregatorGrain", StringComparison.Ordinal)),
            a => Assert.Null(a.SiloCluster));
        Assert.Equal(EdgeClusters, devices.Select(d => d.SiloCluster).Distinct().Order());
    }

    [Fact]
    public async Task Killing_an_edge_silo_mid_cycle_drops_its_cluster_with_a_reason_and_the_cluster_rejoins_when_its_silo_returns()
    {
        await using var cluster = new DurableCluster(postgres);
        var roles = await StartCloudAndEdges(cluster);
        var projectId = "hier-kill-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Grains.GetGrain<IProjectGrain>(projectId).Submit(Spec(cycles: 6, innerRounds: 2, latencySeconds: 1.5) with { Training = Spec(6, 2, 1.5).Training with { MinFitClusters = 1 } }, "system-tests");

        await cluster.WaitFor(projectId, p => p.Rounds.Count >= 1, TimeSpan.FromMinutes(2));
        var edgeB = cluster.Silos.Single(s => roles[s.SiloPort] == "edge-b");
        edgeB.Kill();
        var dropped = await cluster.WaitFor(projectId, p => p.Rounds.Any(c => c.Clusters.Any(k => !k.Included)), TimeSpan.FromMinutes(2));
        output.WriteLine($"edge-b dropped in cycle {dropped.Rounds.First(c => c.Clusters.Any(k => !k.Included)).Round}");

        await cluster.StartSiloAsync("--role", "edge", "--cluster", "edge-b");
        var ended = await cluster.WaitFor(projectId, p => p.State == ProjectState.Completed, TimeSpan.FromMinutes(4));
        foreach (var c in ended.Rounds)
        {
            output.WriteLine($"cycle {c.Round}: accuracy {c.Accuracy:F4}, {string.Join(", ", c.Clusters.Select(k => k.Included ? k.Cluster : $"{k.Cluster} dropped: {k.Reason}"))}");
        }

        Assert.Equal(6, ended.Rounds.Count);
        var cycle = ended.Rounds.First(c => c.Clusters.Any(k => !k.Included));
        var lost = Assert.Single(cycle.Clusters, k => !k.Included);
        Assert.Equal("edge-b", lost.Cluster);
        Assert.Contains("edge-b", lost.Reason);
        Assert.True(Assert.Single(cycle.Clusters, k => k.Included).Cluster == "edge-a");
        Assert.Equal(cycle.Clusters.Single(k => k.Included).SampleCount, cycle.SampleCount);

        // The cluster rejoined once its silo was back.
        Assert.All(ended.Rounds[^1].Clusters, k => Assert.True(k.Included, k.Reason));

        // The HTTP view shows the dropped cluster and why.
        var view = JsonSerializer.Serialize(ProjectViews.Of(ended), GatewayJson.Options);
        Assert.Contains("\"included\":false", view, StringComparison.Ordinal);
        Assert.Contains(JsonSerializer.Serialize(lost.Reason, GatewayJson.Options), view, StringComparison.Ordinal);
    }
}
