using FLOps.Learning.Privacy;
using FLOps.Learning.Robustness;

namespace FLOps.Learning.Tests.Privacy;

public class ServerSideFixedClippingTests
{
    [Fact]
    public void An_update_whose_change_exceeds_the_bound_is_scaled_to_exactly_the_bound()
    {
        var dp = new ServerSideFixedClipping(clippingNorm: 1.0, noiseMultiplier: 0);
        float[] global = [1, 1, 1];

        // Change [3, 4, 0] has norm 5; clipped to norm 1 it is [0.6, 0.8, 0].
        var clipped = dp.Clip([4, 5, 1], global);

        Assert.Equal(1.0, ServerSideFixedClipping.DistanceL2(clipped, global), 6);
        Assert.Equal(1.6f, clipped[0], 6);
        Assert.Equal(1.8f, clipped[1], 6);
        Assert.Equal(1.0f, clipped[2], 6);
    }

    [Fact]
    public void An_update_within_the_bound_is_left_as_it_is()
    {
        var dp = new ServerSideFixedClipping(clippingNorm: 10, noiseMultiplier: 1);
        float[] update = [1.5f, -2, 0.25f];

        Assert.Same(update, dp.Clip(update, [1, -1, 0]));
    }

    [Fact]
    public void A_zero_noise_multiplier_adds_nothing()
    {
        var dp = new ServerSideFixedClipping(clippingNorm: 3, noiseMultiplier: 0);
        float[] aggregate = [0.5f, -1, 7];

        dp.AddNoise(aggregate, updateCount: 4, seed: 1);

        Assert.Equal([0.5f, -1, 7], aggregate);
    }

    [Fact]
    public void The_noise_has_Flowers_standard_deviation_z_times_C_over_n_and_zero_mean()
    {
        var dp = new ServerSideFixedClipping(clippingNorm: 2, noiseMultiplier: 1.5);
        var aggregate = new float[200_000];

        dp.AddNoise(aggregate, updateCount: 5, seed: 42);

        var expected = 1.5 * 2 / 5;
        Assert.Equal(expected, dp.NoiseStandardDeviation(5), 12);
        var mean = aggregate.Average(v => (double)v);
        var stdev = Math.Sqrt(aggregate.Average(v => ((double)v - mean) * ((double)v - mean)));
        Assert.InRange(stdev, expected * 0.98, expected * 1.02);
        Assert.InRange(mean, -0.01, 0.01);
    }

    [Fact]
    public void The_same_seed_gives_the_same_noise()
    {
        var dp = new ServerSideFixedClipping(clippingNorm: 1, noiseMultiplier: 1);
        var a = new float[100];
        var b = new float[100];

        dp.AddNoise(a, 3, seed: 9);
        dp.AddNoise(b, 3, seed: 9);

        Assert.Equal(a, b);
        Assert.Contains(a, v => v != 0);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(1, -0.5)]
    [InlineData(1, double.PositiveInfinity)]
    public void Bad_bounds_or_multipliers_are_refused(double clippingNorm, double noiseMultiplier) =>
        Assert.ThrowsAny<ArgumentException>(() => new ServerSideFixedClipping(clippingNorm, noiseMultiplier));
}

public class ByzantineAttackTests
{
    [Fact]
    public void Flip_scales_the_change_by_minus_ten()
    {
        float[] parameters = [2, 0.5f];

        ByzantineAttack.Poison("flip", parameters, [1, 1], seed: 0);

        Assert.Equal([-9f, 6f], parameters);
    }

    [Fact]
    public void Noise_replaces_the_update_by_the_global_model_plus_unit_gaussian_noise()
    {
        var global = new float[10_000];
        var parameters = new float[10_000];

        ByzantineAttack.Poison("noise", parameters, global, seed: 3);

        var norm = ServerSideFixedClipping.L2Norm(parameters);
        Assert.InRange(norm, 95, 105);
    }

    [Fact]
    public void An_unknown_attack_is_refused() =>
        Assert.Throws<ArgumentException>(() => ByzantineAttack.Poison("zap", new float[1], new float[1], 0));
}
