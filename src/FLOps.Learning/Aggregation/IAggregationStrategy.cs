namespace FLOps.Learning.Aggregation;

/// <param name="FractionFit">Fraction of the available clients asked to train in a round.</param>
/// <param name="MinFitClients">Never fewer than this many (if available).</param>
/// <param name="Seed">With <paramref name="Round"/>, makes the choice reproducible.</param>
public sealed record ParticipantSelection(double FractionFit, int MinFitClients, int Seed, int Round);

/// <summary>
/// A federated strategy in the manner of Flower's: it picks the clients of a round and
/// combines their updates into the next global model. Grains only call this interface.
/// </summary>
/// <remarks>
/// A strategy object may be created afresh for every round. Strategies that carry state from
/// one round to the next (server optimisers such as FedAvgM and FedAdam) hand it over as plain
/// data: call <see cref="ExportState"/> after a round's <see cref="IAggregationRound.Complete"/>
/// and give the result to the next round's strategy through <see cref="ImportState"/> before
/// its <see cref="BeginRound"/>. Stateless strategies export <see langword="null"/> and ignore
/// what they are given.
/// </remarks>
public interface IAggregationStrategy
{
    string Name { get; }

    IReadOnlyList<string> SelectParticipants(IReadOnlyList<string> availableClients, ParticipantSelection selection);

    /// <summary>Starts combining the updates of one round that started from <paramref name="globalParameters"/>.</summary>
    IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round);

    /// <summary>
    /// FedProx: the weight mu of the proximal term (mu/2)·‖w − w_global‖² that clients add to
    /// their local loss (see <c>TrainingOptions.ProximalMu</c>); 0 for every other strategy.
    /// </summary>
    float ProximalMu => 0f;

    /// <summary>
    /// The state to carry into the next round, as plain data; <see langword="null"/> for a
    /// stateless strategy or before the first completed round. Treat the result as immutable.
    /// </summary>
    StrategyState? ExportState() => null;

    /// <summary>
    /// Restores state exported by the same kind of strategy after an earlier round; call before
    /// <see cref="BeginRound"/>. <see langword="null"/> means "no state yet". Stateless
    /// strategies ignore it.
    /// </summary>
    void ImportState(StrategyState? state)
    {
    }
}

/// <summary>
/// What a stateful strategy carries from one round to the next: named vectors of the model's
/// length (FedAvgM's momentum, FedOpt's first and second moments) and named scalars (the
/// number of server steps taken). Plain data, so that a grain can persist it however it likes.
/// </summary>
public sealed record StrategyState(IReadOnlyDictionary<string, float[]> Vectors, IReadOnlyDictionary<string, double> Scalars);

/// <summary>One round's aggregation: updates are added as they arrive, then completed once.</summary>
public interface IAggregationRound
{
    int UpdateCount { get; }

    void Add(ReadOnlySpan<float> parameters, long sampleCount);

    /// <summary>
    /// Adds an update the round may keep referencing until <see cref="Complete"/>, so that it can
    /// fold several at once (<see cref="WeightedMeanRound"/>): the caller must not change
    /// <paramref name="parameters"/> afterwards, and must have checked them with
    /// <see cref="Validation.UpdateValidator"/>. The result is the same as <see cref="Add"/>'s.
    /// </summary>
    void AddRetained(ReadOnlyMemory<float> parameters, long sampleCount) => Add(parameters.Span, sampleCount);

    /// <summary>The next global parameters; throws if no update was added.</summary>
    float[] Complete();
}
