using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests;

public class ParallelWeightedMeanTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 1)]
    [InlineData(5, ParallelWeightedMean.TileLength + 13, 2)]
    [InlineData(9, (3 * ParallelWeightedMean.TileLength) - 1, -1)]
    [InlineData(10, 20_000, 3)]
    public void Equals_a_streaming_round_bit_for_bit(int updateCount, int length, int parallelism)
    {
        var (updates, counts) = UpdateSamples.Random(updateCount, length, seed: (updateCount * 31) + length);

        var round = new WeightedMeanRound(length);
        for (var k = 0; k < updateCount; k++)
        {
            round.Add(updates[k], counts[k]);
        }

        var expected = round.Complete();
        var actual = ParallelWeightedMean.Compute(updates.Select(u => (ReadOnlyMemory<float>)u).ToArray(), counts, parallelism);

        Assert.Equal(UpdateSamples.BitsOf(expected), UpdateSamples.BitsOf(actual));
    }

    [Fact]
    public void The_degree_of_parallelism_does_not_change_a_bit()
    {
        var (updates, counts) = UpdateSamples.Random(7, (4 * ParallelWeightedMean.TileLength) + 5, seed: 3);
        var memories = updates.Select(u => (ReadOnlyMemory<float>)u).ToArray();

        var one = ParallelWeightedMean.Compute(memories, counts, 1);

        foreach (var parallelism in new[] { 2, 3, 8, -1 })
        {
            Assert.Equal(UpdateSamples.BitsOf(one), UpdateSamples.BitsOf(ParallelWeightedMean.Compute(memories, counts, parallelism)));
        }
    }

    [Fact]
    public void Computes_the_sample_weighted_mean()
    {
        ReadOnlyMemory<float>[] updates = [new float[] { 1, 2 }, new float[] { 3, 6 }];

        Assert.Equal([2.5f, 5f], ParallelWeightedMean.Compute(updates, [1, 3]));
    }

    [Fact]
    public void Refuses_bad_batches_naming_the_update()
    {
        ReadOnlyMemory<float>[] good = [new float[] { 1, 2 }, new float[] { 3, 4 }];

        Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute([], []));
        Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute(good, [1]));
        Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute(good, [1, 0]));
        Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute([new float[2], new float[3]], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParallelWeightedMean.Compute(good, [1, 1], 0));
        var poisoned = Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute([new float[] { 1, 2 }, new float[] { float.NaN, 4 }], [1, 1]));
        Assert.Contains("Update 1", poisoned.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ParallelWeightedMean.Compute([new float[] { float.PositiveInfinity, 2 }, new float[] { float.NegativeInfinity, 4 }], [1, 1]));
    }
}
