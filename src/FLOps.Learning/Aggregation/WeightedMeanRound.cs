using System.Numerics.Tensors;
using FLOps.Learning.Validation;

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
/// When a whole batch of updates is at hand, <see cref="ParallelWeightedMean"/> computes the same
/// mean, bit for bit, with far less memory traffic.
/// </remarks>
public sealed class WeightedMeanRound : IAggregationRound
{
    private double[]? _sum;
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
        UpdateValidator.ThrowIfInvalid(parameters, sum.Length, sampleCount);

        // The weight is added (and may overflow) before the accumulator changes: an update that
        // throws here leaves no trace in the aggregate.
        var totalWeight = checked(_totalWeight + sampleCount);

        // Widens, multiplies and adds in one pass: no float-to-double staging buffer.
        ParallelWeightedMean.AccumulateWeighted(sum, parameters, sampleCount);
        _totalWeight = totalWeight;
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
