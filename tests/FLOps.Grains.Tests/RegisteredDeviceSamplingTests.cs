using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Devices;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Tests;

/// <summary>Registered devices in a sharded directory: registered in batches, sampled by position.</summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class RegisteredDeviceSamplingTests(FlopsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task A_batch_registers_every_device_into_the_shards_of_its_tags_and_a_sample_takes_only_registered_devices()
    {
        var tenant = "batch-" + Guid.NewGuid().ToString("N")[..8];
        var profiles = Enumerable.Range(0, 300).Select(i => new DeviceProfile { Name = $"device {i}", DataTags = ["mnist"], SampleCount = 10 }).ToList();

        var results = await Grains.GetGrain<ITenantGrain>(tenant).RegisterDevices(profiles);

        var ids = results.Select(r => r.DeviceId!).ToList();
        Assert.All(ids, Assert.NotNull);
        var key = IDeviceDirectoryGrain.KeyFor(tenant, "mnist");
        var counts = await DeviceDirectory.CountsAsync(Grains, key);
        Assert.Equal(300, counts.Sum());
        Assert.Equal(0, counts[0]);
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await DeviceDirectory.ListAsync(Grains, key)).Order(StringComparer.Ordinal));

        var sample = await DeviceDirectory.SampleAsync(Grains, key, new ParticipantSelection(0.1, 0, Seed: 1, Round: 1));
        Assert.Equal(30, sample.Count);
        Assert.Equal(30, sample.Distinct().Count());
        Assert.Subset(ids.ToHashSet(), sample.ToHashSet());
        Assert.Equal(sample, await DeviceDirectory.SampleAsync(Grains, key, new ParticipantSelection(0.1, 0, Seed: 1, Round: 1)));
    }

    [Fact]
    public async Task Devices_listed_before_the_directory_was_sharded_are_still_found()
    {
        var tenant = "legacy-" + Guid.NewGuid().ToString("N")[..8];
        var key = IDeviceDirectoryGrain.KeyFor(tenant, "mnist");
        await Grains.GetGrain<IDeviceDirectoryGrain>(key).Add("old-device");
        var fresh = (await Grains.GetGrain<ITenantGrain>(tenant).RegisterDevice(new DeviceProfile { Name = "new", DataTags = ["mnist"], SampleCount = 5 })).DeviceId!;

        var all = await DeviceDirectory.SampleAsync(Grains, key, new ParticipantSelection(1.0, 0, Seed: 1, Round: 1));

        Assert.Equal(new[] { "old-device", fresh }.Order(StringComparer.Ordinal), all);
    }
}
