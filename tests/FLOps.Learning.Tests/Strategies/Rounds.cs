using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests.Strategies;

/// <summary>Runs rounds of a strategy the way the round grain does.</summary>
internal static class Rounds
{
    public static float[] Run(IAggregationStrategy strategy, float[] global, int round, params (float[] Parameters, long Samples)[] updates) =>
        Run(strategy, global, round, (IEnumerable<(float[] Parameters, long Samples)>)updates);

    public static float[] Run(IAggregationStrategy strategy, float[] global, int round, IEnumerable<(float[] Parameters, long Samples)> updates)
    {
        var aggregation = strategy.BeginRound(global, round);
        foreach (var (parameters, samples) in updates)
        {
            aggregation.Add(parameters, samples);
        }

        return aggregation.Complete();
    }

    /// <summary>Runs one round on a fresh strategy that imports <paramref name="state"/>, and returns its export too.</summary>
    public static (float[] Model, StrategyState? State) RunFresh(
        string name, IReadOnlyDictionary<string, double>? parameters, StrategyState? state, float[] global, int round,
        IEnumerable<(float[] Parameters, long Samples)> updates)
    {
        var strategy = StrategyCatalog.Create(name, parameters);
        strategy.ImportState(state);
        var model = Run(strategy, global, round, updates);
        return (model, strategy.ExportState());
    }

    public static void AssertClose(double[] expected, float[] actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"coordinate {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
