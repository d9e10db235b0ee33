namespace FLOps.Learning.Aggregation;

/// <summary>The strategies a project can name, after Flower's catalogue.</summary>
public static class StrategyCatalog
{
    private static readonly string[] KnownNames =
    [
        FedAvgStrategy.StrategyName,
        FedProxStrategy.StrategyName,
        FedAvgMStrategy.StrategyName,
        FedAdamStrategy.StrategyName,
        FedYogiStrategy.StrategyName,
        FedAdagradStrategy.StrategyName,
        FedMedianStrategy.StrategyName,
        FedTrimmedAvgStrategy.StrategyName,
        KrumStrategy.StrategyName,
        MultiKrumStrategy.StrategyName,
    ];

    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(KnownNames);

    /// <summary>
    /// Creates a strategy by name with its parameters. Throws <see cref="ArgumentException"/>
    /// naming the known strategies for an unknown name, and naming the parameter and its accepted
    /// range for an unknown parameter or a value out of range.
    /// </summary>
    /// <remarks>Names of strategies and of parameters are case-insensitive. Missing parameters take Flower's defaults.</remarks>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, double>? parameters = null)
    {
        var key = name?.Trim().ToLowerInvariant() ?? string.Empty;
        return key switch
        {
            FedAvgStrategy.StrategyName => FedAvgStrategy.FromParameters(parameters),
            FedProxStrategy.StrategyName => FedProxStrategy.FromParameters(parameters),
            FedAvgMStrategy.StrategyName => FedAvgMStrategy.FromParameters(parameters),
            FedAdamStrategy.StrategyName => FedAdamStrategy.FromParameters(parameters),
            FedYogiStrategy.StrategyName => FedYogiStrategy.FromParameters(parameters),
            FedAdagradStrategy.StrategyName => FedAdagradStrategy.FromParameters(parameters),
            FedMedianStrategy.StrategyName => FedMedianStrategy.FromParameters(parameters),
            FedTrimmedAvgStrategy.StrategyName => FedTrimmedAvgStrategy.FromParameters(parameters),
            KrumStrategy.StrategyName => KrumStrategy.FromParameters(parameters),
            MultiKrumStrategy.StrategyName => MultiKrumStrategy.FromParameters(parameters),
            _ => throw new ArgumentException($"Unknown strategy '{name}'; known: {string.Join(", ", KnownNames)}", nameof(name)),
        };
    }
}
