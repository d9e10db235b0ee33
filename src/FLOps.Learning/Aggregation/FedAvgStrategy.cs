namespace FLOps.Learning.Aggregation;

/// <summary>Federated averaging (McMahan et al., 2017): the next global model is the sample-weighted mean of the updates.</summary>
public sealed class FedAvgStrategy : AggregationStrategyBase
{
    public const string StrategyName = "fedavg";

    public override string Name => StrategyName;

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new WeightedMeanRound(globalParameters.Length);

    /// <summary>FedAvg takes no parameters; any given name is refused.</summary>
    internal static FedAvgStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        StrategyParameters.Read(StrategyName, parameters);
        return new FedAvgStrategy();
    }
}
