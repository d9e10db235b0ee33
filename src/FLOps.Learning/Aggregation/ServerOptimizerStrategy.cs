namespace FLOps.Learning.Aggregation;

/// <summary>
/// Strategies that run an optimiser on the server (FedAvgM, FedAdam, FedYogi, FedAdagrad): the
/// round streams the sample-weighted mean of the updates (O(model) memory, as FedAvg), then
/// <see cref="Step"/> turns the previous global model and that mean into the next global model,
/// updating named state vectors (momentum, moments) that carry over to the next round.
/// </summary>
/// <remarks>
/// State lives on the strategy object and can be moved to a fresh object with
/// <see cref="ExportState"/> and <see cref="ImportState"/>: running rounds on one long-lived
/// object and running each round on a new object that imported the previous one's export give
/// the same models, bit for bit. Missing state vectors start at zero, as in Flower. One round
/// at a time: a round's <see cref="IAggregationRound.Complete"/> replaces the state.
/// </remarks>
public abstract class ServerOptimizerStrategy : AggregationStrategyBase
{
    /// <summary>The scalar counting completed server steps.</summary>
    public const string StepsKey = "steps";

    private StrategyState? _state;

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round)
    {
        var global = globalParameters.ToArray();
        var previous = _state;
        if (previous is not null)
        {
            foreach (var (name, vector) in previous.Vectors)
            {
                if (vector.Length != global.Length)
                {
                    throw new InvalidOperationException(
                        $"{Name}: state vector '{name}' has {vector.Length} values but the global model has {global.Length} parameters.");
                }
            }
        }

        return new ServerStepRound(global.Length, average =>
        {
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (name, vector) in previous?.Vectors ?? new Dictionary<string, float[]>())
            {
                vectors[name] = (float[])vector.Clone();
            }

            var next = Step(global, average, round, vectors);
            var steps = previous?.Scalars.GetValueOrDefault(StepsKey) ?? 0;
            _state = new StrategyState(vectors, new Dictionary<string, double>(StringComparer.Ordinal) { [StepsKey] = steps + 1 });
            return next;
        });
    }

    /// <summary>The state after the last completed round (or the imported one); <see langword="null"/> before either.</summary>
    public override StrategyState? ExportState() => _state;

    /// <summary>Takes a copy of <paramref name="state"/>; the vectors' lengths are checked against the model at <see cref="BeginRound"/>.</summary>
    public override void ImportState(StrategyState? state)
    {
        if (state is null)
        {
            _state = null;
            return;
        }

        ArgumentNullException.ThrowIfNull(state.Vectors, nameof(state));
        ArgumentNullException.ThrowIfNull(state.Scalars, nameof(state));
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, vector) in state.Vectors)
        {
            ArgumentNullException.ThrowIfNull(vector, nameof(state));
            vectors[name] = (float[])vector.Clone();
        }

        _state = new StrategyState(vectors, new Dictionary<string, double>(state.Scalars, StringComparer.Ordinal));
    }

    /// <summary>
    /// One server step. <paramref name="vectors"/> holds private copies of the previous state's
    /// vectors (update them in place, or add new ones); what it holds afterwards is the new state.
    /// </summary>
    /// <param name="global">The global model the round started from.</param>
    /// <param name="average">The sample-weighted mean of the round's updates (FedAvg's result).</param>
    /// <param name="round">The round number given to <see cref="BeginRound"/>.</param>
    protected abstract float[] Step(float[] global, float[] average, int round, IDictionary<string, float[]> vectors);

    /// <summary>The state vector called <paramref name="name"/>, added as zeros when absent.</summary>
    protected static float[] VectorOrZeros(IDictionary<string, float[]> vectors, string name, int length)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (!vectors.TryGetValue(name, out var vector))
        {
            vector = new float[length];
            vectors[name] = vector;
        }

        return vector;
    }

    private sealed class ServerStepRound(int parameterCount, Func<float[], float[]> finish) : IAggregationRound
    {
        private readonly WeightedMeanRound _mean = new(parameterCount);

        public int UpdateCount => _mean.UpdateCount;

        public void Add(ReadOnlySpan<float> parameters, long sampleCount) => _mean.Add(parameters, sampleCount);

        public void AddRetained(ReadOnlyMemory<float> parameters, long sampleCount) => _mean.AddRetained(parameters, sampleCount);

        public float[] Complete() => finish(_mean.Complete());
    }
}
