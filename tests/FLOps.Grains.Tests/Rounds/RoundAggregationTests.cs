using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Rounds;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Tests.Rounds;

/// <summary>A round's aggregation as the grain runs it (one update at a time, possibly kept and folded in batches), without a silo.</summary>
public sealed class RoundAggregationTests
{
    private static (float[][] Updates, long[] Counts) Updates(int count, int length, int seed)
    {
        var random = new Random(seed);
        var updates = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        return (updates, [.. Enumerable.Range(0, count).Select(_ => (long)random.Next(1, 1_000))]);
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    [Theory]
    [InlineData(1)]
    [InlineData(WeightedMeanRound.DefaultBatchSize - 1)]
    [InlineData((2 * WeightedMeanRound.DefaultBatchSize) + 3)]
    public void FedAvg_through_the_round_equals_the_streaming_mean_bit_for_bit(int count)
    {
        var (updates, counts) = Updates(count, 9_000, seed: count);
        var aggregation = new RoundAggregation(new FedAvgStrategy(), new float[9_000], round: 1);
        var streaming = new WeightedMeanRound(9_000);
        for (var k = 0; k < count; k++)
        {
            aggregation.Add(updates[k], counts[k]);
            streaming.Add(updates[k], counts[k]);
        }

        var (parameters, state) = aggregation.Complete();

        Assert.Equal(Bits(streaming.Complete()), Bits(parameters));
        Assert.Null(state);
    }

    [Fact]
    public void Under_privacy_each_update_is_clipped_before_it_is_averaged_and_left_as_it_was()
    {
        var plan = new RoundPlan { Round = 2, Spec = new ProjectSpec { Privacy = new PrivacySpec { ClippingNorm = 0.5, NoiseMultiplier = 0 } } };
        var global = new float[] { 0, 0, 0 };
        float[][] updates = [[3, 0, 0], [0, 0.1f, 0]];
        var aggregation = RoundAggregation.For(plan, new FedAvgStrategy(), global);
        aggregation.Add(updates[0], 1);
        aggregation.Add(updates[1], 3);

        var (parameters, _) = aggregation.Complete();

        Assert.Equal([0.125f, 0.075f, 0], parameters);
        Assert.Equal([3f, 0, 0], updates[0]);
    }

    [Fact]
    public void The_privacy_noise_is_the_same_for_the_same_plan_and_differs_for_another_attempt()
    {
        float[] Noise(int attempt)
        {
            var plan = new RoundPlan { Round = 2, Attempt = attempt, Spec = new ProjectSpec { Privacy = new PrivacySpec { ClippingNorm = 1, NoiseMultiplier = 1, Seed = 7 } } };
            var aggregation = RoundAggregation.For(plan, new FedAvgStrategy(), new float[64]);
            aggregation.Add(new float[64], 1);
            return aggregation.Complete().Parameters;
        }

        Assert.Equal(Bits(Noise(0)), Bits(Noise(0)));
        Assert.NotEqual(Bits(Noise(0)), Bits(Noise(1)));
        Assert.Contains(Noise(0), v => v != 0);
    }

    [Fact]
    public void A_server_optimiser_hands_back_the_state_to_carry_into_the_next_round()
    {
        var strategy = StrategyCatalog.Create("fedavgm");
        var aggregation = new RoundAggregation(strategy, [0, 0], round: 1);
        aggregation.Add([1, 1], 1);

        var (_, state) = aggregation.Complete();

        Assert.NotNull(state);
        Assert.Equal(1.0, state.Scalars[ServerOptimizerStrategy.StepsKey]);
        Assert.Throws<InvalidOperationException>(() => aggregation.Add([1, 1], 1));
    }
}
