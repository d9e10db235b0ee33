using FLOps.Abstractions.Devices;
using FLOps.Grains.Devices;

namespace FLOps.Grains.Tests;

/// <summary>How a sharded directory finds the devices a round sampled, without a silo.</summary>
public sealed class DeviceDirectoryTests
{
    [Fact]
    public void Positions_of_the_whole_directory_fall_into_the_segments_that_hold_them()
    {
        int[] counts = [2, 0, 3, 1];

        var located = DeviceDirectory.Locate(counts, [0, 1, 2, 4, 5]);

        Assert.Equal([0, 1], located[0]);
        Assert.Empty(located[1]);
        Assert.Equal([0, 2], located[2]);
        Assert.Equal([0], located[3]);
    }

    [Fact]
    public void Positions_past_the_end_are_dropped()
    {
        var located = DeviceDirectory.Locate([1, 1], [1, 2, 7]);

        Assert.Empty(located[0]);
        Assert.Equal([0], located[1]);
    }

    [Fact]
    public void Devices_spread_over_every_shard_and_each_always_lands_in_the_same_one()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => $"d-{i:x16}").ToList();

        var shards = ids.Select(DeviceDirectory.ShardOf).ToList();

        Assert.All(shards, s => Assert.InRange(s, 0, IDeviceDirectoryGrain.Shards - 1));
        Assert.Equal(IDeviceDirectoryGrain.Shards, shards.Distinct().Count());
        Assert.Equal(shards, ids.Select(DeviceDirectory.ShardOf));
    }

    [Fact]
    public void Segment_zero_is_the_directory_of_before_sharding_and_shards_have_keys_of_their_own()
    {
        var key = IDeviceDirectoryGrain.KeyFor("tenant", "mnist");

        Assert.Equal("tenant|mnist", DeviceDirectory.SegmentKey(key, 0));
        Assert.Equal("tenant|mnist|0", DeviceDirectory.SegmentKey(key, 1));
        Assert.Equal(IDeviceDirectoryGrain.Shards + 1, Enumerable.Range(0, DeviceDirectory.Segments).Select(s => DeviceDirectory.SegmentKey(key, s)).Distinct().Count());
    }
}
