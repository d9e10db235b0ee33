namespace FLOps.Learning.Aggregation;

/// <param name="FractionFit">Fraction of the available clients asked to train in a round.</param>
/// <param name="MinFitClients">Never fewer than this many (if available).</param>
/// <param name="Seed">With <paramref name="Round"/>, makes the choice reproducible.</param>
public sealed record ParticipantSelection(double FractionFit, int MinFitClients, int Seed, int Round);

/// <summary>
/// A federated strategy in the manner of Flower's: it picks the clients of a round and
/// combines their updates into the next global model. Grains only call this interface.
/// </summary>
public interface IAggregationStrategy
{
    string Name { get; }

    IReadOnlyList<string> SelectParticipants(IReadOnlyList<string> availableClients, ParticipantSelection selection);

    /// <summary>Starts combining the updates of one round that started from <paramref name="globalParameters"/>.</summary>
    IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round);
}

/// <summary>One round's aggregation: updates are added as they arrive, then completed once.</summary>
public interface IAggregationRound
{
    int UpdateCount { get; }

    void Add(ReadOnlySpan<float> parameters, long sampleCount);

    /// <summary>The next global parameters; throws if no update was added.</summary>
    float[] Complete();
}

public static class StrategyCatalog
{
    private static readonly string[] KnownNames = [FedAvgStrategy.StrategyName];

    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(KnownNames);

    /// <summary>Creates a strategy by name; throws <see cref="ArgumentException"/> naming the known ones otherwise.</summary>
    /// <remarks>Names are case-insensitive. FedAvg takes no parameters and ignores any given.</remarks>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, double>? parameters = null)
    {
        var key = name?.Trim() ?? string.Empty;
        if (key.Equals(FedAvgStrategy.StrategyName, StringComparison.OrdinalIgnoreCase))
        {
            return new FedAvgStrategy();
        }

        throw new ArgumentException($"Unknown strategy '{name}'; known: {string.Join(", ", KnownNames)}", nameof(name));
    }
}
