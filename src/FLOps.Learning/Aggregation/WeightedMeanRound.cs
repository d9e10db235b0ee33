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
/// one <see cref="Add"/> per update, so the result is the same bit for bit. The sums are
/// allocated at the first fold (a round of one batch needs none beyond a tile), and the last
/// batch is divided and rounded tile by tile while the tile is in cache.
/// </para>
/// </remarks>
public sealed class WeightedMeanRound : IAggregationRound
{
    /// <summary>
    /// Updates folded at once. With 100 updates of 1M parameters, 16 gave 0.65–0.68 × triad, 32
    /// gave 0.60–0.76 (0.9 or more of the batch kernel over all 100 in the same runs) and 64 no
    /// more (`flops bench aggregate`, BENCHMARKS.md): past 32 the kernel, not the accumulator, bounds it.
    /// </summary>
    public const int DefaultBatchSize = 32;

    private readonly ReadOnlyMemory<float>[] _waiting;
    private readonly double[] _waitingWeights;
    private int _waitingCount;

    /// <summary>The running sums; <c>null</c> until the first update is folded (a round of one batch never needs them).</summary>
    private double[]? _sum;
    private bool _complete;
    private long _totalWeight;

    public WeightedMeanRound(int parameterCount)
        : this(parameterCount, DefaultBatchSize)
    {
    }

    public WeightedMeanRound(int parameterCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
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
        ThrowIfComplete();
        UpdateValidator.ThrowIfInvalid(parameters, ParameterCount, sampleCount);

        // The weight is added (and may overflow) before the accumulator changes: an update that
        // throws here leaves no trace in the aggregate.
        var totalWeight = checked(_totalWeight + sampleCount);

        // The waiting updates came first, so they are added first.
        var sum = FoldWaiting() ?? (_sum = new double[ParameterCount]);

        // Widens, multiplies and adds in one pass: no float-to-double staging buffer.
        ParallelWeightedMean.AccumulateWeighted(sum, parameters, sampleCount);
        _totalWeight = totalWeight;
        UpdateCount++;
    }

    /// <summary>
    /// Keeps <paramref name="parameters"/> until a batch is full. Shape and sample count are
    /// checked here; finite values are the caller's promise (it checked them with
    /// <see cref="UpdateValidator"/>), which the fold verifies on the sums.
    /// </summary>
    public void AddRetained(ReadOnlyMemory<float> parameters, long sampleCount)
    {
        ThrowIfComplete();
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"expected {ParameterCount} parameters, got {parameters.Length}", nameof(parameters));
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
            FoldWaiting();
        }
    }

    public float[] Complete()
    {
        ThrowIfComplete();
        if (UpdateCount == 0)
        {
            throw new InvalidOperationException("Cannot complete a round to which no update was added.");
        }

        _complete = true;
        var mean = new float[ParameterCount];
        if (_sum is null)
        {
            // Every update is still waiting: the batch kernel, with no accumulator beyond a tile.
            try
            {
                ParallelWeightedMean.MeanOf(_waiting[.._waitingCount], _waitingWeights[.._waitingCount], _totalWeight, mean);
            }
            catch (ArgumentException e)
            {
                throw NotFinite(e);
            }
        }
        else if (_waitingCount > 0)
        {
            // The last batch is folded and each tile divided and rounded while it is in cache.
            if (!ParallelWeightedMean.Fold(_sum, _waiting.AsSpan(0, _waitingCount), _waitingWeights.AsSpan(0, _waitingCount), fresh: false, mean, _totalWeight))
            {
                throw NotFinite(null);
            }
        }
        else
        {
            TensorPrimitives.Divide(_sum, (double)_totalWeight, _sum);
            TensorPrimitives.ConvertChecked<double, float>(_sum, mean);
        }

        Release();
        return mean;
    }

    /// <summary>Folds the waiting updates into the sums, which it returns (<c>null</c> if there are none yet).</summary>
    private double[]? FoldWaiting()
    {
        if (_waitingCount == 0)
        {
            return _sum;
        }

        var fresh = _sum is null;
        var sum = _sum ??= GC.AllocateUninitializedArray<double>(ParameterCount);
        var finite = ParallelWeightedMean.Fold(sum, _waiting.AsSpan(0, _waitingCount), _waitingWeights.AsSpan(0, _waitingCount), fresh);
        Array.Clear(_waiting, 0, _waitingCount);
        _waitingCount = 0;
        if (!finite)
        {
            // Past repair: the sums already hold the batch.
            _complete = true;
            Release();
            throw NotFinite(null);
        }

        return sum;
    }

    private void Release()
    {
        _sum = null;
        Array.Clear(_waiting);
        _waitingCount = 0;
    }

    private void ThrowIfComplete()
    {
        if (_complete)
        {
            throw new InvalidOperationException("This round is already complete.");
        }
    }

    /// <summary>A bug of the caller's, not input.</summary>
    private static InvalidOperationException NotFinite(Exception? inner) =>
        new("A retained update held NaN or infinite parameters: updates must pass UpdateValidator before AddRetained.", inner);
}
