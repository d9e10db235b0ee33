using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests;

/// <summary>
/// A round that keeps updates by reference and folds them a batch at a time gives the model one
/// update at a time gives, bit for bit, whatever the batch size and however the updates fall into batches.
/// </summary>
public class WeightedMeanRoundBatchTests
{
    [Theory]
    [InlineData(1, 5, 16)]
    [InlineData(3, 7, 16)]
    [InlineData(16, 100, 16)]
    [InlineData(17, ParallelWeightedMean.TileLength + 13, 16)]
    [InlineData(23, (2 * ParallelWeightedMean.TileLength) - 1, 8)]
    [InlineData(31, 1_001, 4)]
    [InlineData(9, 33, 1)]
    [InlineData(50, 20_000, 7)]
    public void Retained_updates_folded_in_batches_equal_one_update_at_a_time_bit_for_bit(int updateCount, int length, int batchSize)
    {
        var (updates, counts) = UpdateSamples.Random(updateCount, length, seed: (updateCount * 131) + length + batchSize);

        var streaming = new WeightedMeanRound(length, batchSize);
        var batched = new WeightedMeanRound(length, batchSize);
        for (var k = 0; k < updateCount; k++)
        {
            streaming.Add(updates[k], counts[k]);
            batched.AddRetained(updates[k], counts[k]);
        }

        Assert.Equal(streaming.UpdateCount, batched.UpdateCount);
        Assert.Equal(streaming.TotalWeight, batched.TotalWeight);
        Assert.Equal(UpdateSamples.BitsOf(streaming.Complete()), UpdateSamples.BitsOf(batched.Complete()));
    }

    [Fact]
    public void Retained_and_copied_updates_mix_in_arrival_order()
    {
        var (updates, counts) = UpdateSamples.Random(11, 3_000, seed: 5);

        var streaming = new WeightedMeanRound(3_000);
        var mixed = new WeightedMeanRound(3_000, batchSize: 4);
        for (var k = 0; k < updates.Length; k++)
        {
            streaming.Add(updates[k], counts[k]);
            if (k % 3 == 0)
            {
                mixed.Add(updates[k], counts[k]);
            }
            else
            {
                mixed.AddRetained(updates[k], counts[k]);
            }
        }

        Assert.Equal(UpdateSamples.BitsOf(streaming.Complete()), UpdateSamples.BitsOf(mixed.Complete()));
    }

    [Fact]
    public void The_round_of_a_strategy_takes_retained_updates_for_fedavg_and_the_server_optimisers()
    {
        var (updates, counts) = UpdateSamples.Random(19, 500, seed: 9);
        foreach (var name in new[] { "fedavg", "fedprox", "fedavgm", "fedadam" })
        {
            var one = StrategyCatalog.Create(name, null).BeginRound(new float[500], round: 1);
            var retained = StrategyCatalog.Create(name, null).BeginRound(new float[500], round: 1);
            for (var k = 0; k < updates.Length; k++)
            {
                one.Add(updates[k], counts[k]);
                retained.AddRetained(updates[k], counts[k]);
            }

            Assert.Equal(UpdateSamples.BitsOf(one.Complete()), UpdateSamples.BitsOf(retained.Complete()));
        }
    }

    [Fact]
    public void A_retained_update_of_the_wrong_shape_or_weight_is_refused_at_once_and_leaves_no_trace()
    {
        var round = new WeightedMeanRound(2);
        round.AddRetained(new float[] { 1, 2 }, 1);

        Assert.Throws<ArgumentException>(() => round.AddRetained(new float[3], 1));
        Assert.Throws<ArgumentException>(() => round.AddRetained(new float[2], 0));

        Assert.Equal(1, round.UpdateCount);
        Assert.Equal([1f, 2f], round.Complete());
    }

    [Fact]
    public void A_non_finite_retained_update_is_a_callers_bug_the_fold_reports()
    {
        var round = new WeightedMeanRound(2, batchSize: 2);
        round.AddRetained(new float[] { 1, 2 }, 1);

        Assert.Throws<InvalidOperationException>(() => round.AddRetained(new float[] { float.NaN, 2 }, 1));
    }
}
