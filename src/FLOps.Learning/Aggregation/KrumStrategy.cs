namespace FLOps.Learning.Aggregation;

/// <summary>
/// Krum (Blanchard et al., 2017), as Flower's Krum with <c>num_clients_to_keep = 0</c>: the next
/// global model is the one update whose sum of squared distances to its n − f − 2 nearest
/// neighbours is lowest.
/// </summary>
/// <remarks>
/// Parameter <c>f</c> (Flower's <c>num_malicious_clients</c>): how many Byzantine updates to
/// tolerate, a whole number in [0, 10000], default 0. A round needs n &gt; 2f + 2 updates;
/// completing one with fewer throws <see cref="InvalidOperationException"/> (Flower does not
/// check). Equal scores go to the update first in canonical order (lexicographic by
/// parameters), never to the first to arrive. Buffers every update: O(n·D) memory, O(n²·D) time.
/// </remarks>
public sealed class KrumStrategy : AggregationStrategyBase
{
    public const string StrategyName = "krum";
    public const int MaxByzantine = 10_000;

    public KrumStrategy(int f = 0)
    {
        ByzantineCount = StrategyParameters.CheckInteger(StrategyName, "f", f, 0, MaxByzantine);
    }

    public override string Name => StrategyName;

    /// <summary>f: the number of Byzantine updates tolerated.</summary>
    public int ByzantineCount { get; }

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new BufferedRound(globalParameters.Length, updates =>
        {
            KrumScores.RequireEnough(StrategyName, updates.Count, ByzantineCount);
            var best = KrumScores.Ranking(KrumScores.Compute(updates, ByzantineCount))[0];
            return (float[])updates[best].Parameters.Clone();
        });

    internal static KrumStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "f");
        return new KrumStrategy(p.Integer("f", 0, 0, MaxByzantine));
    }
}
