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
/// <para>
/// Updates given through <see cref="AddRetained"/> are kept (by reference) until
/// <see cref="BatchSize"/> of them wait, then folded into the accumulator tile by tile with
/// <see cref="ParallelWeightedMean"/>'s kernel: the 8-byte accumulator crosses memory once per
/// batch instead of once per update, which is most of what one update at a time costs. Memory is
/// O(<see cref="BatchSize"/> × model), and the additions are the same, in the same order, as
/// one <see cref="Add"/> per update, so the result is the same bit for bit.
/// </para>
/// </remarks>
public sealed class WeightedMeanRound : IAggregationRound
{
    /// <summary>Updates folded at once: enough to make the accumulator's traffic small beside theirs.</summary>
    public const int DefaultBatchSize = 32;

    private readonly ReadOnlyMemory<float>[] _waiting;
    private readonly double[] _waitingWeights;
    private int _waitingCount;
    private double[]? _sum;
    private long _totalWeight;

    public WeightedMeanRound(int parameterCount)
        : this(parameterCount, DefaultBatchSize)
    {
    }

    public WeightedMeanRound(int parameterCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _sum = new double[parameterCount];
        _waiting = new ReadOnlyMemory<float>[batchSize];
        _waitingWeights = new double[batchSize];
        ParameterCount = parameterCount;
    }

    public int ParameterCount { get; }

    /// <summary>How many retained updates are folded at once.</summary>
    public int BatchSize => _waiting.Length;

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

        // The waiting updates came first, so they are added first.
        FoldWaiting(sum);

        // Widens, multiplies and adds in one pass: no float-to-double staging buffer.
        ParallelWeightedMean.AccumulateWeighted(sum, parameters, sampleCount);
        _totalWeight = totalWeight;
        UpdateCount++;
    }

    /// <summary>
    /// Keeps <paramref name="parameters"/> until a batch is full. Shape and sample count are
    /// checked here; finite values are the caller's promise (it checked them with
    /// <see cref="UpdateValidator"/>), which the fold verifies on the accumulator.
    /// </summary>
    public void AddRetained(ReadOnlyMemory<float> parameters, long sampleCount)
    {
        var sum = _sum ?? throw new InvalidOperationException("This round is already complete.");
        if (parameters.Length != sum.Length)
        {
            throw new ArgumentException($"expected {sum.Length} parameters, got {parameters.Length}", nameof(parameters));
        }

        if (UpdateValidator.CheckSampleCount(sampleCount, long.MaxValue) is { IsValid: false } samples)
        {
            throw new ArgumentException(samples.Reason, nameof(sampleCount));
        }

        var totalWeight = checked(_totalWeight + sampleCount);
        _waiting[_waitingCount] = parameters;
        _waitingWeights[_waitingCount] = sampleCount;
        _waitingCount++;
        _totalWeight = totalWeight;
        UpdateCount++;
        if (_waitingCount == _waiting.Length)
        {
            FoldWaiting(sum);
        }
    }

    public float[] Complete()
    {
        var sum = _sum ?? throw new InvalidOperationException("This round is already complete.");
        if (UpdateCount == 0)
        {
            throw new InvalidOperationException("Cannot complete a round to which no update was added.");
        }

        FoldWaiting(sum);
        var mean = new float[sum.Length];
        TensorPrimitives.Divide(sum, (double)_totalWeight, sum);
        TensorPrimitives.ConvertChecked<double, float>(sum, mean);
        _sum = null;
        return mean;
    }

    private void FoldWaiting(double[] sum)
    {
        if (_waitingCount == 0)
        {
            return;
        }

        var finite = ParallelWeightedMean.Fold(sum, _waiting.AsSpan(0, _waitingCount), _waitingWeights.AsSpan(0, _waitingCount));
        Array.Clear(_waiting, 0, _waitingCount);
        _waitingCount = 0;
        if (!finite)
        {
            // Past repair: the accumulator already holds the batch. A bug of the caller's, not input.
            _sum = null;
            throw new InvalidOperationException("A retained update held NaN or infinite parameters: updates must pass UpdateValidator before AddRetained.");
        }
    }
}
