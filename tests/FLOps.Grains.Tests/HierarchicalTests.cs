using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using Microsoft.Extensions.DependencyInjection;

namespace FLOps.Grains.Tests;

/// <summary>
/// Hierarchical mode on the single-silo test cluster: its edge clusters are logical (no edge
/// silo), so their grains live on the cloud silo; the maths and the bookkeeping are the same as
/// with edge silos (the system tests run those).
/// </summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class HierarchicalTests(FlopsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private static ProjectSpec Hierarchical(int devices, int cycles, int innerRounds, params string[] clusters)
    {
        var spec = Specs.Simulated(devices, innerRounds);
        return spec with
        {
            Training = spec.Training with { Mode = "hierarchical", Cycles = cycles },
            Simulation = spec.Simulation! with { Clusters = clusters },
        };
    }

    [Fact]
    public async Task One_cycle_of_one_inner_round_equals_classic_FedAvg_over_the_same_devices_within_1e_5_per_weight()
    {
        var classic = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Specs.Simulated(devices: 10, rounds: 1));
        var hierarchical = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Hierarchical(devices: 10, cycles: 1, innerRounds: 1, "edge-a", "edge-b"));

        Assert.Equal(ProjectState.Completed, classic.State);
        Assert.Equal(ProjectState.Completed, hierarchical.State);
        var store = fixture.SiloServices.GetRequiredService<IModelStore>();
        var expected = await store.GetAsync(classic.Model);
        var actual = await store.GetAsync(hierarchical.Model);
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(worst <= 1e-5, $"largest difference per weight: {worst:G3}");

        var cycle = Assert.Single(hierarchical.Rounds);
        Assert.Equal(["edge-a", "edge-b"], cycle.Clusters.Select(c => c.Cluster));
        Assert.All(cycle.Clusters, c => Assert.True(c.Included));
        Assert.Equal(10, cycle.Participants);
        Assert.Equal(classic.Rounds[0].SampleCount, cycle.SampleCount);
        Assert.Equal(classic.Rounds[0].SampleCount, cycle.Clusters.Sum(c => c.SampleCount));
    }

    [Fact]
    public async Task Bytes_reaching_the_cloud_per_cycle_shrink_by_the_number_of_devices_per_cluster()
    {
        var classic = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Specs.Simulated(devices: 10, rounds: 2));
        var hierarchical = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Hierarchical(devices: 10, cycles: 2, innerRounds: 1, "edge-a", "edge-b"));

        Assert.Equal(ProjectState.Completed, hierarchical.State);
        var modelBytes = (long)hierarchical.Model.ParameterCount * sizeof(float);
        Assert.All(classic.Rounds, r => Assert.Equal(10 * modelBytes, r.UpdateBytes));
        Assert.All(hierarchical.Rounds, c =>
        {
            Assert.Equal(2 * modelBytes, c.UpdateBytes);
            Assert.All(c.Clusters, k => Assert.Equal(modelBytes, k.BytesToCloud));

            // The device updates stayed at the edge: 5 per cluster.
            Assert.All(c.Clusters, k => Assert.Equal(5 * modelBytes, k.InnerRounds.Single().UpdateBytes));
        });
        Assert.Equal(5.0, (double)classic.BytesToCloud / hierarchical.BytesToCloud);
    }

    [Fact]
    public async Task Each_cycle_runs_the_inner_rounds_in_every_cluster_from_the_previous_cycle_s_global_model()
    {
        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Hierarchical(devices: 6, cycles: 2, innerRounds: 3, "north", "south", "west"));

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(2, ended.TotalRounds);
        Assert.Equal([1, 2], ended.Rounds.Select(c => c.Round));
        Assert.All(ended.Rounds, c =>
        {
            Assert.Equal(3, c.Clusters.Count);
            Assert.All(c.Clusters, k =>
            {
                Assert.Equal([1, 2, 3], k.InnerRounds.Select(r => r.Round));
                Assert.Equal(c.BaseModel, k.InnerRounds[0].BaseModel);
                Assert.Equal(k.InnerRounds[0].Model, k.InnerRounds[1].BaseModel);
                Assert.Equal(2, k.InnerRounds[^1].Participants);
            });
        });
        Assert.Equal(ended.Rounds[0].Model, ended.Rounds[1].BaseModel);
        Assert.InRange(ended.Rounds[^1].Accuracy!.Value, 0.7, 1.0);
    }

    [Theory]
    [InlineData("a@b")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_cluster_name_that_cannot_travel_in_a_grain_key_is_refused(string cluster)
    {
        var errors = ProjectSpecValidator.Validate(Hierarchical(devices: 4, cycles: 1, innerRounds: 1, "ok", cluster));

        Assert.Contains(errors, e => e.Field == "simulation.clusters");
    }
}
