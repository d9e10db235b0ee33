namespace FLOps.Learning.Aggregation;

/// <summary>
/// Multi-Krum (El Mhamdi et al., 2018), as Flower's Krum with <c>num_clients_to_keep = m</c>:
/// the m updates with the lowest Krum scores are averaged, weighted by sample count (as Flower's
/// <c>aggregate</c>).
/// </summary>
/// <remarks>
/// Parameters: <c>f</c> as for <see cref="KrumStrategy"/>; <c>m</c> (Flower's
/// <c>num_clients_to_keep</c>), a whole number in [0, 100000], default 0, meaning n − f (the
/// paper's choice; in Flower 0 would mean plain Krum). An m larger than the round's n keeps all
/// n, as Flower's slicing does. A round needs n &gt; 2f + 2 updates. Equal scores are ranked in
/// the canonical order of the updates. Buffers every update: O(n·D) memory, O(n²·D) time.
/// </remarks>
public sealed class MultiKrumStrategy : AggregationStrategyBase
{
    public const string StrategyName = "multikrum";
    public const int MaxKeep = 100_000;

    public MultiKrumStrategy(int f = 0, int m = 0)
    {
        ByzantineCount = StrategyParameters.CheckInteger(StrategyName, "f", f, 0, KrumStrategy.MaxByzantine);
        KeepCount = StrategyParameters.CheckInteger(StrategyName, "m", m, 0, MaxKeep);
    }

    public override string Name => StrategyName;

    /// <summary>f: the number of Byzantine updates tolerated.</summary>
    public int ByzantineCount { get; }

    /// <summary>m: how many of the best-scored updates are averaged; 0 means n − f.</summary>
    public int KeepCount { get; }

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new BufferedRound(globalParameters.Length, updates =>
        {
            KrumScores.RequireEnough(StrategyName, updates.Count, ByzantineCount);
            var keep = Math.Min(KeepCount == 0 ? updates.Count - ByzantineCount : KeepCount, updates.Count);
            var ranking = KrumScores.Ranking(KrumScores.Compute(updates, ByzantineCount));
            var mean = new WeightedMeanRound(globalParameters.Length);
            foreach (var index in ranking.Take(keep).Order())
            {
                mean.Add(updates[index].Parameters, updates[index].SampleCount);
            }

            return mean.Complete();
        });

    internal static MultiKrumStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "f", "m");
        return new MultiKrumStrategy(p.Integer("f", 0, 0, KrumStrategy.MaxByzantine), p.Integer("m", 0, 0, MaxKeep));
    }
}
