using FLOps.Learning.Aggregation;
using FLOps.Learning.Validation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FLOps.Learning.Tests.Validation;

public class UpdateValidatorTests
{
    private const long MaxSamples = UpdateValidator.DefaultMaxSampleCount;

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(MaxSamples + 1)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void A_sample_count_outside_one_to_the_maximum_is_refused_naming_both_bounds(long samples)
    {
        var check = UpdateValidator.Check([1f, 2f], parameterCount: 2, samples, MaxSamples);

        Assert.Equal(UpdateProblem.SampleCount, check.Problem);
        Assert.Contains($"between 1 and {MaxSamples} (got {samples})", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_kind_of_malformed_update_gets_its_own_problem()
    {
        float[] global = [0f, 0f];

        Assert.Equal(UpdateProblem.Shape, UpdateValidator.Check([1f], global, 10, MaxSamples, null).Problem);
        Assert.Equal(UpdateProblem.NotFinite, UpdateValidator.Check([float.NaN, 0f], global, 10, MaxSamples, null).Problem);
        Assert.Equal(UpdateProblem.NotFinite, UpdateValidator.Check([float.PositiveInfinity, 0f], global, 10, MaxSamples, null).Problem);
        Assert.Equal(UpdateProblem.NormBound, UpdateValidator.Check([3f, 4f], global, 10, MaxSamples, maxUpdateNorm: 4.9).Problem);
        Assert.True(UpdateValidator.Check([3f, 4f], global, 10, MaxSamples, maxUpdateNorm: 5).IsValid);
        Assert.True(UpdateValidator.Check([float.MaxValue, float.MinValue], global, MaxSamples, MaxSamples, null).IsValid);
    }

    private static readonly Gen<long> AnySampleCount = Gen.OneOf(
        Gen.Choose(-10, 10).Select(i => (long)i),
        Gen.Choose(0, int.MaxValue).Select(i => (long)i * 1_000_000_007L),
        Gen.Elements(long.MaxValue, long.MinValue, long.MaxValue / 2, MaxSamples, MaxSamples + 1));

    private static readonly Gen<float> AnyValue = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(i => i / 10f),
        Gen.Elements(float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, float.Epsilon));

    /// <summary>
    /// The hole this closes: a weight near long.MaxValue was added to the accumulator before the
    /// total overflowed. Whatever an update holds, the round's aggregate is what the accepted ones
    /// alone would give: a refused update leaves no trace, and the result stays finite.
    /// </summary>
    [Property(MaxTest = 500)]
    public Property A_round_aggregates_only_what_the_validator_accepts_and_its_mean_stays_finite() =>
        Prop.ForAll(
            (from count in Gen.Choose(1, 6)
             from updates in Gen.ArrayOf(
                 from parameters in Gen.ArrayOf(AnyValue, 3)
                 from samples in AnySampleCount
                 select (Parameters: parameters, Samples: samples),
                 count)
             select updates).ToArbitrary(),
            updates =>
            {
                var round = new WeightedMeanRound(3);
                var accepted = new WeightedMeanRound(3);
                foreach (var (parameters, samples) in updates)
                {
                    if (UpdateValidator.Check(parameters, 3, samples, MaxSamples).IsValid)
                    {
                        round.Add(parameters, samples);
                        accepted.Add(parameters, samples);
                    }
                    else
                    {
                        // The round's own check refuses the same update (a sample count out of bounds as 0).
                        Assert.ThrowsAny<ArgumentException>(() => round.Add(parameters, samples is > 0 and <= MaxSamples ? samples : 0L));
                    }
                }

                if (accepted.UpdateCount == 0)
                {
                    return round.UpdateCount == 0;
                }

                var mean = round.Complete();
                return mean.SequenceEqual(accepted.Complete()) && mean.All(float.IsFinite);
            });

    [Fact]
    public void A_weight_that_would_overflow_the_total_is_refused_before_the_accumulator_changes()
    {
        var round = new WeightedMeanRound(2);
        round.Add([1f, 1f], long.MaxValue - 5);

        Assert.Throws<OverflowException>(() => round.Add([1000f, 1000f], 10));

        Assert.Equal(1, round.UpdateCount);
        Assert.Equal([1f, 1f], round.Complete());
    }
}
