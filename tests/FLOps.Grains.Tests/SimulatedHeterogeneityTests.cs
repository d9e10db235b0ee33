using FLOps.Abstractions.Devices;
using FLOps.Grains.Devices;

namespace FLOps.Grains.Tests;

/// <summary>How uneven a simulated fleet is (issue 14, item 2): speed factors and dropouts from the seed, without a silo.</summary>
public sealed class SimulatedHeterogeneityTests
{
    private static SimulatedFleet Fleet(int count, double speedSpread = 1, double dropoutRate = 0, int seed = 42) =>
        new() { ProjectId = "p-1", Dataset = "mnist", Seed = seed, Count = count, SpeedSpread = speedSpread, DropoutRate = dropoutRate };

    private static double[] Factors(SimulatedFleet fleet) => [.. Enumerable.Range(0, fleet.Count).Select(i => SimulatedHeterogeneity.SpeedFactor(fleet, i))];

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(20)]
    [InlineData(97)]
    [InlineData(1000)]
    public void The_factors_are_evenly_spaced_from_1_to_the_spread_one_per_device(int devices)
    {
        var factors = Factors(Fleet(devices, speedSpread: 10)).Order().ToArray();

        var step = 9.0 / (devices - 1);
        Assert.All(factors.Select((f, rank) => (f, rank)), x => Assert.Equal(1 + (x.rank * step), x.f, 1e-9));
    }

    [Fact]
    public void The_seed_decides_which_device_is_slow_and_the_same_seed_always_the_same()
    {
        var first = Factors(Fleet(20, speedSpread: 10, seed: 42));

        Assert.Equal(first, Factors(Fleet(20, speedSpread: 10, seed: 42)));
        Assert.NotEqual(first, Factors(Fleet(20, speedSpread: 10, seed: 43)));
    }

    [Fact]
    public void Fast_and_slow_devices_are_not_simply_in_index_order()
    {
        var factors = Factors(Fleet(20, speedSpread: 10));

        Assert.NotEqual(factors.Order(), factors);
        Assert.NotEqual(factors.OrderDescending(), factors);
    }

    [Fact]
    public void Every_edge_cluster_gets_fast_and_slow_devices()
    {
        var factors = Factors(Fleet(40, speedSpread: 10));

        // Device i lives in cluster i mod 4.
        foreach (var cluster in Enumerable.Range(0, 4))
        {
            var ofCluster = factors.Where((_, i) => i % 4 == cluster).ToList();
            Assert.True(ofCluster.Min() < 4 && ofCluster.Max() > 7, $"cluster {cluster}: {string.Join(", ", ofCluster)}");
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)] // a plan stored before the field existed
    public void Without_a_spread_every_device_computes_at_the_machines_own_speed(double spread)
    {
        Assert.All(Factors(Fleet(10, speedSpread: spread)), f => Assert.Equal(1.0, f));
        Assert.Equal(TimeSpan.Zero, SimulatedHeterogeneity.ExtraComputeTime(1.0, samples: 800, epochs: 1));
    }

    [Fact]
    public void A_lone_device_is_the_fastest()
    {
        Assert.Equal(1.0, SimulatedHeterogeneity.SpeedFactor(Fleet(1, speedSpread: 10), 0));
    }

    [Fact]
    public void A_slower_device_computes_longer_in_proportion_to_its_factor_samples_and_epochs()
    {
        var nominal = SimulatedHeterogeneity.NominalSampleTime;

        Assert.Equal(nominal * (9 * 800), SimulatedHeterogeneity.ExtraComputeTime(10, samples: 800, epochs: 1));
        Assert.Equal(nominal * (4.5 * 400 * 2), SimulatedHeterogeneity.ExtraComputeTime(5.5, samples: 400, epochs: 2));
        Assert.Equal(TimeSpan.Zero, SimulatedHeterogeneity.ExtraComputeTime(10, samples: 0, epochs: 1));
    }

    [Fact]
    public void The_demo_fleet_at_spread_10_makes_its_slowest_device_about_2_s_slower_a_round()
    {
        // 10 devices share MNIST's 8,000 training digits: the documented figure of README and docs/spec.md.
        Assert.Equal(1.8, SimulatedHeterogeneity.ExtraComputeTime(10, samples: 800, epochs: 1).TotalSeconds, 1e-9);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void About_the_dropout_rate_of_tasks_are_abandoned(double rate)
    {
        var fleet = Fleet(100, dropoutRate: rate);

        var abandoned = Enumerable.Range(0, 100).SelectMany(device => Enumerable.Range(1, 100).Select(task => SimulatedHeterogeneity.Abandons(fleet, device, task))).Count(a => a);

        // 10,000 independent draws: the share lies within 5 standard deviations of the rate.
        var sigma = Math.Sqrt(rate * (1 - rate) / 10_000);
        Assert.InRange(abandoned / 10_000.0, rate - (5 * sigma), rate + (5 * sigma));
    }

    [Fact]
    public void Without_a_dropout_rate_no_task_is_abandoned()
    {
        var fleet = Fleet(50);

        Assert.DoesNotContain(Enumerable.Range(0, 50).SelectMany(device => Enumerable.Range(0, 50).Select(task => SimulatedHeterogeneity.Abandons(fleet, device, task))), a => a);
    }

    [Fact]
    public void A_dropout_is_the_same_for_the_same_seed_device_and_task_and_differs_between_tasks()
    {
        var fleet = Fleet(20, dropoutRate: 0.3);
        bool[] Draws(SimulatedFleet f, long task) => [.. Enumerable.Range(0, f.Count).Select(device => SimulatedHeterogeneity.Abandons(f, device, task))];

        Assert.Equal(Draws(fleet, 7), Draws(fleet with { ProjectId = "another name" }, 7));
        Assert.NotEqual(Draws(fleet, 7), Draws(fleet, 8));
        Assert.NotEqual(Draws(fleet, 7), Draws(fleet with { Seed = 43 }, 7));
    }

    [Fact]
    public void Whether_a_device_drops_out_does_not_follow_how_slow_it_is()
    {
        var fleet = Fleet(1000, speedSpread: 10, dropoutRate: 0.5);

        var slow = Enumerable.Range(0, 1000).Where(i => SimulatedHeterogeneity.SpeedFactor(fleet, i) > 5.5).ToList();
        var abandonedBySlow = slow.Count(i => SimulatedHeterogeneity.Abandons(fleet, i, task: 1));

        Assert.InRange(abandonedBySlow / (double)slow.Count, 0.4, 0.6);
    }
}
