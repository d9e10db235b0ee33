using System.Numerics.Tensors;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// Streams a sample-weighted mean: one accumulator of the model's length, however many updates
/// arrive, so a round never holds every client's parameters at once. Not thread-safe; a grain
/// feeds it one update at a time.
/// </summary>
/// <remarks>
/// Updates arrive in whatever order devices finish. The accumulator is double precision, in which
/// each float × sample-count product is exact, so the result rounded back to float does not
/// depend on that order: the same seed gives the same global model on every run.
/// </remarks>
public sealed class WeightedMeanRound : IAggregationRound
{
    private const int ChunkLength = 4096;

    private double[]? _sum;
    private readonly double[] _widened = new double[ChunkLength];
    private long _totalWeight;

    public WeightedMeanRound(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        _sum = new double[parameterCount];
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

        for (var start = 0; start < parameters.Length; start += ChunkLength)
        {
            var length = Math.Min(ChunkLength, parameters.Length - start);
            var widened = _widened.AsSpan(0, length);
            TensorPrimitives.ConvertChecked(parameters.Slice(start, length), widened);
            var target = sum.AsSpan(start, length);
            TensorPrimitives.MultiplyAdd(widened, (double)sampleCount, target, target);
        }

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

        var mean = new float[sum.Length];
        TensorPrimitives.Divide(sum, (double)_totalWeight, sum);
        TensorPrimitives.ConvertChecked<double, float>(sum, mean);
        _sum = null;
        return mean;
    }
}
