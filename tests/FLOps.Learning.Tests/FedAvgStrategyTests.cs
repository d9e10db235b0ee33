using FLOps.Learning.Aggregation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FLOps.Learning.Tests;

public class FedAvgStrategyTests
{
    private const int Dimension = 4;

    private static readonly Gen<(float[] Parameters, long Samples)> UpdateGen =
        from values in Gen.ArrayOf(Gen.Choose(-10_000, 10_000).Select(i => i / 100f), Dimension)
        from samples in Gen.Choose(1, 1_000)
        select (values, (long)samples);

    private static readonly Arbitrary<(float[] Parameters, long Samples)[]> Updates =
        Gen.NonEmptyListOf(UpdateGen).Select(l => l.ToArray()).ToArbitrary();

    [Fact]
    public void Complete_returns_the_sample_weighted_mean()
    {
        var round = new FedAvgStrategy().BeginRound(new float[2], round: 1);

        round.Add([1, 2], sampleCount: 1);
        round.Add([3, 6], sampleCount: 3);

        Assert.Equal(2, round.UpdateCount);
        Assert.Equal([2.5f, 5f], round.Complete());
    }

    [Fact]
    public void A_single_update_becomes_the_global_model()
    {
        var round = new FedAvgStrategy().BeginRound(new float[] { 9, 9, 9 }, round: 1);
        round.Add([1, -2, 0.5f], 17);

        Assert.Equal([1, -2, 0.5f], round.Complete());
    }

    [Property(MaxTest = 200)]
    public Property The_order_in_which_updates_arrive_does_not_matter() =>
        Prop.ForAll(Updates, updates =>
        {
            var forward = Aggregate(updates);
            var backward = Aggregate(updates.Reverse());
            return forward.Zip(backward).All(p => Math.Abs(p.First - p.Second) <= 1e-3f);
        });

    [Property(MaxTest = 200)]
    public Property The_mean_lies_within_the_range_of_the_updates_in_every_coordinate() =>
        Prop.ForAll(Updates, updates =>
        {
            var mean = Aggregate(updates);
            return Enumerable.Range(0, Dimension).All(d =>
                mean[d] >= updates.Min(u => u.Parameters[d]) - 1e-3f &&
                mean[d] <= updates.Max(u => u.Parameters[d]) + 1e-3f);
        });

    [Fact]
    public void Updates_of_the_wrong_length_or_without_samples_are_rejected()
    {
        var round = new FedAvgStrategy().BeginRound(new float[3], round: 1);

        Assert.Throws<ArgumentException>(() => round.Add(new float[2], 10));
        Assert.Throws<ArgumentException>(() => round.Add(new float[4], 10));
        Assert.Throws<ArgumentException>(() => round.Add(new float[3], 0));
        Assert.Throws<ArgumentException>(() => round.Add(new float[3], -5));
        Assert.Throws<ArgumentException>(() => round.Add([0, float.NaN, 0], 5));
        Assert.Equal(0, round.UpdateCount);
    }

    [Fact]
    public void A_round_completes_once_and_only_with_updates()
    {
        var round = new FedAvgStrategy().BeginRound(new float[1], round: 1);

        Assert.Throws<InvalidOperationException>(round.Complete);
        round.Add([1], 1);
        round.Complete();
        Assert.Throws<InvalidOperationException>(round.Complete);
        Assert.Throws<InvalidOperationException>(() => round.Add([1], 1));
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("FedAvg")]
    public void The_catalog_creates_fedavg_by_name_in_any_case(string name)
    {
        Assert.Equal("fedavg", StrategyCatalog.Create(name).Name);
    }

    [Fact]
    public void The_catalog_rejects_unknown_names_and_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("x"));

        Assert.StartsWith("Unknown strategy 'x'; known: fedavg", error.Message, StringComparison.Ordinal);
    }

    private static float[] Aggregate(IEnumerable<(float[] Parameters, long Samples)> updates)
    {
        var round = new FedAvgStrategy().BeginRound(new float[Dimension], round: 1);
        foreach (var (parameters, samples) in updates)
        {
            round.Add(parameters, samples);
        }

        return round.Complete();
    }
}
