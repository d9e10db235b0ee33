namespace FLOps.Learning.Aggregation;

/// <summary>
/// Common ground for strategies that differ only in how they combine updates: client sampling
/// is the same for all of them.
/// </summary>
public abstract class AggregationStrategyBase : IAggregationStrategy
{
    public abstract string Name { get; }

    /// <inheritdoc cref="IAggregationStrategy.ProximalMu"/>
    public virtual float ProximalMu => 0f;

    public virtual IReadOnlyList<string> SelectParticipants(IReadOnlyList<string> availableClients, ParticipantSelection selection) =>
        ParticipantSampler.Select(availableClients, selection);

    public abstract IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round);

    /// <inheritdoc cref="IAggregationStrategy.ExportState"/>
    public virtual StrategyState? ExportState() => null;

    /// <inheritdoc cref="IAggregationStrategy.ImportState"/>
    public virtual void ImportState(StrategyState? state)
    {
    }

    public override string ToString() => Name;
}
