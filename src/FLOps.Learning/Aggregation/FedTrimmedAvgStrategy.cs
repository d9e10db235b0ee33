namespace FLOps.Learning.Aggregation;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al., 2018), as Flower's <c>aggregate_trimmed_avg</c>:
/// per coordinate, drop the ⌊beta·n⌋ lowest and the ⌊beta·n⌋ highest of the n values and average
/// the rest, unweighted.
/// </summary>
/// <remarks>
/// Parameter <c>beta</c> in [0, 0.5), default 0.2 (Flower's). The cut is Python's
/// <c>int(beta * n)</c>, floating-point product included. Buffers every update: O(n·D) memory.
/// </remarks>
public sealed class FedTrimmedAvgStrategy : AggregationStrategyBase
{
    public const string StrategyName = "fedtrimmedavg";
    public const double DefaultBeta = 0.2;

    public FedTrimmedAvgStrategy(double beta = DefaultBeta)
    {
        Beta = StrategyParameters.CheckReal(StrategyName, "beta", beta, 0, 0.5, maxExclusive: true);
    }

    public override string Name => StrategyName;

    /// <summary>The fraction cut at each end.</summary>
    public double Beta { get; }

    /// <summary>How many values are cut at each end of a coordinate when there are <paramref name="updateCount"/> updates.</summary>
    public int CutCount(int updateCount) => (int)(Beta * updateCount);

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new BufferedRound(globalParameters.Length, updates =>
        {
            var cut = CutCount(updates.Count);
            return CoordinateWise.Reduce(updates, sorted => CoordinateWise.TrimmedMean(sorted, cut));
        });

    internal static FedTrimmedAvgStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "beta");
        return new FedTrimmedAvgStrategy(p.Get("beta", DefaultBeta));
    }
}
