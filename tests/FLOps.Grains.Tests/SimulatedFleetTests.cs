using FLOps.Abstractions.Devices;
using FLOps.Grains.Devices;
using FLOps.Grains.Projects;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Tests;

/// <summary>Simulated devices as a count: their ids, shards, clusters and selection, without a silo.</summary>
public sealed class SimulatedFleetTests
{
    private static SimulatedFleet Fleet(int count, params string[] clusters) =>
        new() { ProjectId = "p-1", Dataset = "mnist", Partition = "dirichlet:0.5", Seed = 7, Count = count, Clusters = clusters };

    [Fact]
    public void A_device_id_names_its_index_as_projects_always_have_and_its_cluster_in_hierarchical_mode()
    {
        Assert.Equal("p-1/sim-0003", Fleet(10).DeviceId(3));
        Assert.Equal(ProjectGrain.SimulatedDeviceId("p-1", 3), Fleet(10).DeviceId(3));
        Assert.Equal("p-1/sim-0005@edge-b", Fleet(10, "edge-a", "edge-b").DeviceId(5));
        Assert.Equal("p-1/sim-12345", Fleet(100_000).DeviceId(12_345));
    }

    [Theory]
    [InlineData("p-1/sim-0003", 3)]
    [InlineData("p-1/sim-99999", 99_999)]
    public void A_device_finds_its_index_in_its_own_id(string id, int index)
    {
        Assert.True(Fleet(100_000).TryIndexOf(id, out var found));
        Assert.Equal(index, found);
    }

    [Theory]
    [InlineData("p-1/sim-0010")]            // past the fleet
    [InlineData("p-2/sim-0001")]            // another project's
    [InlineData("p-1/sim-3")]               // not an id the fleet gives out
    [InlineData("p-1/sim-0001@edge-a")]     // a cluster the flat fleet has not
    [InlineData("d-0123456789abcdef")]      // a registered device
    public void Ids_that_are_not_the_fleets_are_not_taken_for_its_devices(string id) =>
        Assert.False(Fleet(10).TryIndexOf(id, out _));

    [Fact]
    public void In_hierarchical_mode_a_device_belongs_only_to_the_cluster_of_its_index()
    {
        var fleet = Fleet(10, "edge-a", "edge-b", "edge-c");

        Assert.True(fleet.TryIndexOf("p-1/sim-0004@edge-b", out var index));
        Assert.Equal(4, index);
        Assert.False(fleet.TryIndexOf("p-1/sim-0004@edge-a", out _));
    }

    [Fact]
    public void A_clusters_devices_are_every_kth_index_from_its_position()
    {
        var fleet = Fleet(10, "edge-a", "edge-b", "edge-c");

        var members = Enumerable.Range(0, fleet.InCluster("edge-b").Available).Select(fleet.InCluster("edge-b").IndexAt);

        Assert.Equal([1, 4, 7], members);
        Assert.Equal(4, fleet.InCluster("edge-a").Available);
        Assert.Equal(3, fleet.InCluster("edge-c").Available);
        Assert.Equal(0, fleet.InCluster("edge-z").Available);
    }

    [Fact]
    public void A_profile_from_the_fleet_holds_the_shard_of_its_index()
    {
        var profile = SimulatedDeviceProfile.Of(Fleet(10, "edge-a", "edge-b"), 5);

        Assert.Equal(new SimulatedShard("mnist", "dirichlet:0.5", 7, 5, 10), profile.Shard);
        Assert.Equal("edge-b", profile.Cluster);
        Assert.Equal(["mnist"], profile.DataTags);
    }

    [Theory]
    [InlineData(37, 0.3)]
    [InlineData(10_000, 0.05)]
    public void Sampling_the_fleet_picks_the_devices_sampling_the_list_of_its_ids_picked(int devices, double fraction)
    {
        var fleet = Fleet(devices);
        var selection = new ParticipantSelection(fraction, 2, Seed: 11, Round: 3);

        var chosen = SimulatedFleetSampler.Select(fleet, selection);

        Assert.Equal(ParticipantSampler.Select([.. Enumerable.Range(0, devices).Select(fleet.DeviceId)], selection), chosen);
    }

    [Fact]
    public void Sampling_one_cluster_picks_among_that_clusters_devices_as_the_list_of_them_did()
    {
        var fleet = Fleet(30, "edge-a", "edge-b").InCluster("edge-b");
        var selection = new ParticipantSelection(0.5, 1, Seed: 4, Round: 2);
        var ids = Enumerable.Range(0, 30).Select(fleet.DeviceId).Where(id => id.EndsWith("@edge-b", StringComparison.Ordinal)).ToList();

        Assert.Equal(ParticipantSampler.Select(ids, selection), SimulatedFleetSampler.Select(fleet, selection));
    }
}
