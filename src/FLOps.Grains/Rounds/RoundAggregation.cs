using FLOps.Abstractions.Rounds;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Privacy;

namespace FLOps.Grains.Rounds;

/// <summary>
/// One round's aggregation, as the round grain runs it: each accepted update is clipped under
/// differential privacy, then handed to the strategy's round (which may keep it by reference and
/// fold several at once), and completing adds the privacy noise. Not thread-safe: a grain feeds
/// it one update at a time.
/// </summary>
public sealed class RoundAggregation
{
    private readonly IAggregationStrategy _strategy;
    private readonly ServerSideFixedClipping? _privacy;
    private readonly int _noiseSeed;
    private IAggregationRound? _round;

    /// <param name="strategy">The round's strategy, with the previous round's state imported.</param>
    /// <param name="global">The model the round started from (updates are checked and clipped against it).</param>
    /// <param name="round">The round number the strategy is told.</param>
    /// <param name="privacy">Server-side clipping and noise, or <c>null</c>.</param>
    /// <param name="noiseSeed">Seeds the privacy noise.</param>
    public RoundAggregation(IAggregationStrategy strategy, float[] global, int round, ServerSideFixedClipping? privacy = null, int noiseSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(global);
        _strategy = strategy;
        Global = global;
        _privacy = privacy;
        _noiseSeed = noiseSeed;
        _round = strategy.BeginRound(global, round);
    }

    /// <summary>The aggregation of <paramref name="plan"/>'s round with <paramref name="strategy"/> (its state already imported).</summary>
    public static RoundAggregation For(RoundPlan plan, IAggregationStrategy strategy, float[] global)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var privacy = plan.Spec.Privacy;
        return new RoundAggregation(
            strategy,
            global,
            plan.Round,
            privacy is null ? null : new ServerSideFixedClipping(privacy.ClippingNorm, privacy.NoiseMultiplier),
            privacy?.Seed is { } seed ? StableHash.Combine(StableHash.Combine(seed, plan.Round), plan.Attempt) : StableHash.Combine(plan.Seed, 0x0D9));
    }

    public float[] Global { get; }

    public int UpdateCount => _round?.UpdateCount ?? 0;

    /// <summary>
    /// Adds an update that passed the round's checks. The array must not change afterwards: the
    /// strategy may hold it until it folds a batch (updates arrive as immutable buffers, and
    /// clipping makes a new array).
    /// </summary>
    public void Add(float[] parameters, long sampleCount)
    {
        var round = _round ?? throw new InvalidOperationException("This round's aggregation is complete.");

        // Under differential privacy the update is clipped here, so that a resumed round clips its journaled updates the same way.
        round.AddRetained(_privacy is null ? parameters : _privacy.Clip(parameters, Global), sampleCount);
    }

    /// <summary>The next global model (with the privacy noise, if any) and the strategy's state to carry over.</summary>
    public (float[] Parameters, StrategyState? State) Complete()
    {
        var round = _round ?? throw new InvalidOperationException("This round's aggregation is complete.");
        var count = round.UpdateCount;
        var parameters = round.Complete();
        _round = null;

        // Flower adds the noise to the aggregated model, after the wrapped strategy's step.
        _privacy?.AddNoise(parameters, count, _noiseSeed);
        return (parameters, _strategy.ExportState());
    }
}
