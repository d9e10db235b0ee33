using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests.Strategies;

/// <summary>FedMedian, FedTrimmedAvg, Krum and Multi-Krum on small updates worked by hand.</summary>
public class RobustStrategyTests
{
    private static readonly float[] Zero2 = [0, 0];
    private static readonly float[] Zero3 = [0, 0, 0];

    [Fact]
    public void FedMedian_takes_the_unweighted_median_of_each_coordinate()
    {
        var median = Rounds.Run(new FedMedianStrategy(), Zero3, 1, ([1, 5, 0], 1000), ([3, -1, 0], 1), ([2, 100, 0], 1));

        Assert.Equal([2f, 5f, 0f], median);
    }

    [Fact]
    public void FedMedian_of_an_even_count_is_the_mean_of_the_two_middle_values()
    {
        var median = Rounds.Run(new FedMedianStrategy(), Zero2, 1, ([1, -4], 1), ([10, 0], 1), ([3, -2], 1), ([2, 8], 1));

        // Coordinate 0: 1, 2, 3, 10 → (2 + 3)/2; coordinate 1: −4, −2, 0, 8 → (−2 + 0)/2.
        Assert.Equal([2.5f, -1f], median);
    }

    [Fact]
    public void FedTrimmedAvg_drops_the_beta_fraction_at_each_end_of_each_coordinate()
    {
        var strategy = new FedTrimmedAvgStrategy(beta: 0.2);

        // Five updates, int(0.2·5) = 1 cut at each end.
        // Coordinate 0: 1, 2, 3, 4, 100 → mean(2, 3, 4) = 3; coordinate 1: −50, 0, 0, 1, 2 → mean(0, 0, 1) = 1/3.
        var trimmed = Rounds.Run(strategy, Zero2, 1, ([100, 0], 9), ([1, 2], 1), ([3, -50], 1), ([2, 1], 1), ([4, 0], 1));

        Rounds.AssertClose([3, 1.0 / 3], trimmed);
        Assert.Equal(1, strategy.CutCount(5));
    }

    [Fact]
    public void FedTrimmedAvg_cuts_nothing_while_beta_times_n_is_below_one()
    {
        var strategy = new FedTrimmedAvgStrategy(beta: 0.2);

        // int(0.2·4) = 0: the plain, unweighted mean.
        var trimmed = Rounds.Run(strategy, Zero2, 1, ([0, 4], 100), ([1, 0], 1), ([2, 0], 1), ([5, 0], 1));

        Assert.Equal([2f, 1f], trimmed);
    }

    [Fact]
    public void Coordinate_wise_strategies_treat_every_coordinate_of_a_long_model_alike()
    {
        // 1,000 coordinates spans several of the blocks the coordinates are gathered in.
        const int length = 1_000;
        var random = new Random(7);
        var updates = Enumerable.Range(0, 7)
            .Select(_ => (Parameters: Enumerable.Range(0, length).Select(_ => (float)random.Next(-1000, 1000)).ToArray(), Samples: 1L))
            .ToArray();

        var median = Rounds.Run(new FedMedianStrategy(), new float[length], 1, updates);
        var trimmed = Rounds.Run(new FedTrimmedAvgStrategy(beta: 0.3), new float[length], 1, updates);

        for (var d = 0; d < length; d++)
        {
            var column = updates.Select(u => u.Parameters[d]).Order().ToArray();
            Assert.Equal(column[3], median[d]);
            Assert.Equal((float)column[2..5].Average(v => (double)v), trimmed[d]);
        }
    }

    [Fact]
    public void Krum_picks_the_update_with_the_smallest_sum_of_squared_distances_to_its_nearest_neighbours()
    {
        // n = 4, f = 0: each score sums the n − f − 2 = 2 smallest squared distances.
        // |ab|² = 1, |ac|² = 4, |ad|² = 200, |bc|² = 5, |bd|² = 181, |cd|² = 164.
        // Scores: a = 1 + 4 = 5, b = 1 + 5 = 6, c = 4 + 5 = 9, d = 164 + 181 = 345 → a.
        var chosen = Rounds.Run(new KrumStrategy(f: 0), Zero2, 1, ([10, 10], 100), ([1, 0], 3), ([0, 2], 1), ([0, 0], 1));

        Assert.Equal([0f, 0f], chosen);
    }

    [Fact]
    public void Krum_breaks_equal_scores_by_the_canonical_order_of_the_updates_not_their_arrival()
    {
        // n = 3, f = 0: one nearest neighbour each. |ab|² = 1, |ac|² = 25, |bc|² = 16: a and b both
        // score 1, and a = [0, 0] sorts before b = [1, 0].
        var forward = Rounds.Run(new KrumStrategy(), Zero2, 1, ([0, 0], 1), ([1, 0], 1), ([5, 0], 1));
        var backward = Rounds.Run(new KrumStrategy(), Zero2, 1, ([5, 0], 1), ([1, 0], 1), ([0, 0], 1));

        Assert.Equal([0f, 0f], forward);
        Assert.Equal([0f, 0f], backward);
    }

    [Fact]
    public void Krum_tells_negative_from_positive_zero_when_breaking_ties()
    {
        // [−0, 1] and [+0, 1] are at distance 0 and score the same; the choice must not depend on arrival.
        var forward = Rounds.Run(new KrumStrategy(), Zero2, 1, ([-0f, 1], 1), ([0f, 1], 1), ([5, 5], 1));
        var backward = Rounds.Run(new KrumStrategy(), Zero2, 1, ([0f, 1], 1), ([-0f, 1], 1), ([5, 5], 1));

        Assert.True(float.IsNegative(forward[0]));
        Assert.True(float.IsNegative(backward[0]));
    }

    [Fact]
    public void Krum_with_f_ignores_the_f_farthest_neighbours()
    {
        // n = 5, f = 1: two nearest neighbours each. The cluster a, b, c sits near the origin,
        // d and e far away. |ab|² = 1, |ac|² = 1, |bc|² = 2: a scores 2, b and c score 3.
        var chosen = Rounds.Run(
            new KrumStrategy(f: 1), Zero2, 1, ([0, 0], 1), ([1, 0], 1), ([0, 1], 1), ([50, 50], 1), ([-60, 40], 1));

        Assert.Equal([0f, 0f], chosen);
    }

    [Fact]
    public void MultiKrum_averages_the_m_best_scored_updates_weighted_by_samples()
    {
        // Same updates as the Krum example: the two best are a = [0, 0] (1 sample) and b = [1, 0] (3 samples).
        var mean = Rounds.Run(new MultiKrumStrategy(f: 0, m: 2), Zero2, 1, ([10, 10], 100), ([1, 0], 3), ([0, 2], 1), ([0, 0], 1));

        Assert.Equal([0.75f, 0f], mean);
    }

    [Fact]
    public void MultiKrum_keeps_n_minus_f_by_default_and_at_most_n()
    {
        // n = 5, f = 1, two nearest neighbours each: a, b, c score 2, 3, 3; d = [50, 50] scores
        // |bd|² + |cd|² = 4901 + 4901 = 9802 and e = [−60, 40] scores |ce|² + |ae|² = 5121 + 5200 = 10321.
        // By default m = n − f = 4: the sample-weighted mean of a, b, c, d.
        (float[], long)[] updates = [([0, 0], 1), ([1, 0], 1), ([0, 1], 1), ([50, 50], 1), ([-60, 40], 1)];
        var byDefault = Rounds.Run(new MultiKrumStrategy(f: 1), Zero2, 1, updates);
        var all = Rounds.Run(new MultiKrumStrategy(f: 0, m: 99), Zero2, 1, updates);

        Assert.Equal([51 / 4f, 51 / 4f], byDefault);
        Assert.Equal([-9 / 5f, 91 / 5f], all);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 6)]
    public void Krum_needs_more_than_2f_plus_2_updates(int f, int n)
    {
        var round = new KrumStrategy(f).BeginRound(new float[1], 1);
        for (var i = 0; i < n; i++)
        {
            round.Add([i], 1);
        }

        var error = Assert.Throws<InvalidOperationException>(round.Complete);
        Assert.Equal($"krum with f={f} needs more than 2f+2 = {(2 * f) + 2} updates; the round has {n}.", error.Message);
    }

    [Theory]
    [InlineData("fedmedian")]
    [InlineData("fedtrimmedavg")]
    [InlineData("krum")]
    [InlineData("multikrum")]
    public void Buffered_rounds_refuse_bad_updates_and_complete_once(string name)
    {
        var round = StrategyCatalog.Create(name).BeginRound(new float[2], 1);

        Assert.Throws<InvalidOperationException>(round.Complete);
        Assert.Throws<ArgumentException>(() => round.Add(new float[3], 1));
        Assert.Throws<ArgumentException>(() => round.Add(new float[2], 0));
        Assert.Throws<ArgumentException>(() => round.Add([float.PositiveInfinity, 0], 1));
        Assert.Equal(0, round.UpdateCount);

        float[] update = [1, 2];
        round.Add(update, 1);
        update[0] = 1000;
        round.Add([1, 2], 1);
        round.Add([1, 2], 1);

        Assert.Equal([1f, 2f], round.Complete());
        Assert.Throws<InvalidOperationException>(round.Complete);
        Assert.Throws<InvalidOperationException>(() => round.Add([1, 2], 1));
    }
}
