using System.Numerics.Tensors;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// Streams a sample-weighted mean: one accumulator of the model's length, however many updates
/// arrive, so a round never holds every client's parameters at once. Not thread-safe; a grain
/// feeds it one update at a time.
/// </summary>
public sealed class WeightedMeanRound : IAggregationRound
{
    private float[]? _sum;
    private long _totalWeight;

    public WeightedMeanRound(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        _sum = new float[parameterCount];
        ParameterCount = parameterCount;
    }

    public int ParameterCount { get; }

    public int UpdateCount { get; private set; }

    /// <summary>Sum of the sample counts added so far.</summary>
    public long TotalWeight => _totalWeight;

    public void Add(ReadOnlySpan<float> parameters, long sampleCount)
    {
        var sum = _sum ?? throw new InvalidOperationException("This round is already complete.");
        if (parameters.Length != sum.Length)
        {
            throw new ArgumentException(
                $"The update has {parameters.Length} parameters but the global model has {sum.Length}.", nameof(parameters));
        }

        if (sampleCount <= 0)
        {
            throw new ArgumentException($"An update must be trained on at least one sample; got {sampleCount}.", nameof(sampleCount));
        }

        // One NaN or infinity would silently poison every later global model.
        if (!TensorPrimitives.IsFiniteAll(parameters))
        {
            throw new ArgumentException("The update contains NaN or infinite parameters.", nameof(parameters));
        }

        TensorPrimitives.MultiplyAdd(parameters, (float)sampleCount, sum, sum);
        _totalWeight = checked(_totalWeight + sampleCount);
        UpdateCount++;
    }

    public float[] Complete()
    {
        var sum = _sum ?? throw new InvalidOperationException("This round is already complete.");
        if (UpdateCount == 0)
        {
            throw new InvalidOperationException("Cannot complete a round to which no update was added.");
        }

        TensorPrimitives.Divide(sum, (float)_totalWeight, sum);
        _sum = null;
        return sum;
    }
}
