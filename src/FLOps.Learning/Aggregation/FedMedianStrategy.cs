namespace FLOps.Learning.Aggregation;

/// <summary>
/// FedMedian (Yin et al., 2018), as Flower's: every coordinate of the next global model is the
/// median of that coordinate over the updates, unweighted (sample counts are ignored); with an
/// even number of updates, the mean of the two middle values (as numpy's median).
/// </summary>
/// <remarks>Buffers every update: O(n·D) memory for n updates of D parameters. Takes no parameters.</remarks>
public sealed class FedMedianStrategy : AggregationStrategyBase
{
    public const string StrategyName = "fedmedian";

    public override string Name => StrategyName;

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new BufferedRound(globalParameters.Length, static updates => CoordinateWise.Reduce(updates, Median));

    internal static FedMedianStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        StrategyParameters.Read(StrategyName, parameters);
        return new FedMedianStrategy();
    }

    private static float Median(ReadOnlySpan<float> sorted)
    {
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (float)(((double)sorted[middle - 1] + sorted[middle]) / 2);
    }
}
