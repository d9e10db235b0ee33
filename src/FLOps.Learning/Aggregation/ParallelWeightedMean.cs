using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// The sample-weighted mean of a batch of updates that are all at hand, computed tile by tile:
/// a cache-sized tile of the double accumulator takes every update before the next tile starts,
/// so memory sees one read of each update and one write of the result, instead of an 8-byte
/// accumulator read and written per element per update. Tiles are spread over cores.
/// </summary>
/// <remarks>
/// The result equals, bit for bit, that of a <see cref="WeightedMeanRound"/> fed the same updates
/// in the same order: every element starts from 0.0 and adds the exact double products
/// float × sample count in list order, then divides by the total weight and rounds to float.
/// Which core computes which tile does not change any element's sums, so the degree of
/// parallelism does not change the result either. Working memory is the result plus one tile
/// per worker, whatever the number of updates.
/// </remarks>
public static class ParallelWeightedMean
{
    /// <summary>Elements per tile: 8,192 doubles (64 KiB) stay in L2 while every update streams past.</summary>
    public const int TileLength = 8192;

    /// <summary>Computes the sample-weighted mean of <paramref name="updates"/>.</summary>
    /// <param name="maxDegreeOfParallelism">Workers; -1 (the default) for one per core, 1 for the calling thread only.</param>
    /// <exception cref="ArgumentException">No updates, lengths differ, a sample count is not positive, or an update holds NaN or an infinity.</exception>
    public static float[] Compute(
        IReadOnlyList<ReadOnlyMemory<float>> updates,
        IReadOnlyList<long> sampleCounts,
        int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(sampleCounts);
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use -1 for one worker per core, or a positive count.");
        }

        if (updates.Count == 0)
        {
            throw new ArgumentException("Cannot average an empty batch of updates.", nameof(updates));
        }

        if (sampleCounts.Count != updates.Count)
        {
            throw new ArgumentException($"There are {updates.Count} updates but {sampleCounts.Count} sample counts.", nameof(sampleCounts));
        }

        var length = updates[0].Length;
        var weights = new double[updates.Count];
        long totalWeight = 0;
        for (var k = 0; k < updates.Count; k++)
        {
            if (updates[k].Length != length)
            {
                throw new ArgumentException($"Update {k} has {updates[k].Length} parameters but update 0 has {length}.", nameof(updates));
            }

            if (sampleCounts[k] <= 0)
            {
                throw new ArgumentException($"An update must be trained on at least one sample; update {k} has {sampleCounts[k]}.", nameof(sampleCounts));
            }

            weights[k] = sampleCounts[k];
            totalWeight = checked(totalWeight + sampleCounts[k]);
        }

        var mean = new float[length];
        var tiles = (length + TileLength - 1) / TileLength;
        var workers = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        workers = Math.Clamp(workers, 1, Math.Max(1, tiles));
        var updateArray = updates as ReadOnlyMemory<float>[] ?? [.. updates];
        if (workers == 1)
        {
            MeanOfTiles(updateArray, weights, totalWeight, mean, 0, tiles);
            return mean;
        }

        // One contiguous block of tiles per worker: each streams its own part of every update.
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var first = (int)((long)tiles * worker / workers);
            var end = (int)((long)tiles * (worker + 1) / workers);
            MeanOfTiles(updateArray, weights, totalWeight, mean, first, end);
        });
        return mean;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MeanOfTiles(ReadOnlyMemory<float>[] updates, double[] weights, long totalWeight, float[] mean, int firstTile, int endTile)
    {
        var buffer = new double[TileLength];
        for (var tile = firstTile; tile < endTile; tile++)
        {
            var start = tile * TileLength;
            var length = Math.Min(TileLength, mean.Length - start);
            var sum = buffer.AsSpan(0, length);
            sum.Clear();
            FoldTile(sum, updates, weights, start);

            // A finite float times a positive long is finite in double, and so is any sum of such
            // terms that fits a long's worth of weight: a non-finite sum means a non-finite input.
            if (!TensorPrimitives.IsFiniteAll<double>(sum))
            {
                throw new ArgumentException($"Update {FirstNonFinite(updates, start, length)} contains NaN or infinite parameters.", nameof(updates));
            }

            MeanOfTile(sum, totalWeight, mean.AsSpan(start, length));
        }
    }

    /// <summary>The mean of a batch on the calling thread, for callers that checked it (<see cref="WeightedMeanRound"/>).</summary>
    internal static void MeanOf(ReadOnlyMemory<float>[] updates, double[] weights, long totalWeight, float[] mean) =>
        MeanOfTiles(updates, weights, totalWeight, mean, 0, (mean.Length + TileLength - 1) / TileLength);

    /// <summary>The tile's sum over the total weight, rounded once to float (the tile is overwritten).</summary>
    private static void MeanOfTile(Span<double> sum, long totalWeight, Span<float> target)
    {
        TensorPrimitives.Divide(sum, (double)totalWeight, sum);
        TensorPrimitives.ConvertChecked<double, float>(sum, target);
    }

    /// <summary>
    /// Adds <c>updates[k][i] · weights[k]</c> to a running accumulator, tile by tile, in the order
    /// of <paramref name="updates"/>: the same additions, bit for bit, as one
    /// <see cref="AccumulateWeighted"/> per update, with one pass of the accumulator through
    /// memory for the whole batch instead of one per update (<see cref="WeightedMeanRound"/>'s batches).
    /// </summary>
    /// <param name="accumulator">The running sums.</param>
    /// <param name="updates">The batch, in arrival order.</param>
    /// <param name="weights">Each update's sample count.</param>
    /// <param name="fresh">The accumulator holds nothing yet (not even zeros): each tile starts from 0.0 in cache instead of being read.</param>
    /// <param name="mean">
    /// Set for the last batch: each tile, once summed, is divided by <paramref name="totalWeight"/>
    /// and rounded into it while still in cache (the accumulator is left undefined).
    /// </param>
    /// <param name="totalWeight">The sum of every weight folded into the accumulator, this batch's included.</param>
    /// <returns><see langword="false"/> if a sum is NaN or an infinity (a non-finite input).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Fold(Span<double> accumulator, ReadOnlySpan<ReadOnlyMemory<float>> updates, ReadOnlySpan<double> weights, bool fresh, Span<float> mean = default, long totalWeight = 0)
    {
        var finite = true;
        for (var start = 0; start < accumulator.Length; start += TileLength)
        {
            var sum = accumulator.Slice(start, Math.Min(TileLength, accumulator.Length - start));
            if (fresh)
            {
                sum.Clear();
            }

            FoldTile(sum, updates, weights, start);
            finite &= TensorPrimitives.IsFiniteAll<double>(sum);
            if (!mean.IsEmpty)
            {
                MeanOfTile(sum, totalWeight, mean.Slice(start, sum.Length));
            }
        }

        return finite;
    }

    /// <summary>Adds the updates' slices at <paramref name="start"/> to the tile <paramref name="sum"/>, in the updates' order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FoldTile(Span<double> sum, ReadOnlySpan<ReadOnlyMemory<float>> updates, ReadOnlySpan<double> weights, int start)
    {
        var length = sum.Length;

        // Four updates per pass over the tile: four read streams in flight, and the accumulator
        // loaded and stored once per four updates. The additions keep the updates' order.
        var k = 0;
        for (; k + 4 <= updates.Length; k += 4)
        {
            AccumulateWeighted4(
                sum,
                updates[k].Span.Slice(start, length),
                updates[k + 1].Span.Slice(start, length),
                updates[k + 2].Span.Slice(start, length),
                updates[k + 3].Span.Slice(start, length),
                weights.Slice(k, 4));
        }

        for (; k < updates.Length; k++)
        {
            AccumulateWeighted(sum, updates[k].Span.Slice(start, length), weights[k]);
        }
    }

    private static int FirstNonFinite(ReadOnlyMemory<float>[] updates, int start, int length)
    {
        for (var k = 0; k < updates.Length; k++)
        {
            if (!TensorPrimitives.IsFiniteAll(updates[k].Span.Slice(start, length)))
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>
    /// <c>sum[i] += (double)x[i] * weight</c>, with a separate multiply and add. For sample counts
    /// below 2^29 the product is exact in double, so fused and unfused forms agree anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateWeighted(Span<double> sum, ReadOnlySpan<float> x, double weight)
    {
        if (sum.Length != x.Length)
        {
            throw new ArgumentException("The accumulator and the update differ in length.", nameof(x));
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            ref var xs = ref MemoryMarshal.GetReference(x);
            ref var sums = ref MemoryMarshal.GetReference(sum);
            var w = Vector256.Create(weight);
            var last = x.Length - Vector256<float>.Count;
            for (; i <= last; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref xs, (nuint)i));
                var sumLower = Vector256.LoadUnsafe(ref sums, (nuint)i);
                var sumUpper = Vector256.LoadUnsafe(ref sums, (nuint)(i + Vector256<double>.Count));
                (sumLower + (lower * w)).StoreUnsafe(ref sums, (nuint)i);
                (sumUpper + (upper * w)).StoreUnsafe(ref sums, (nuint)(i + Vector256<double>.Count));
            }
        }

        for (; i < x.Length; i++)
        {
            sum[i] += x[i] * weight;
        }
    }

    /// <summary>
    /// <c>sum[i] = (((sum[i] + a[i]·w₀) + b[i]·w₁) + c[i]·w₂) + d[i]·w₃</c>: the same additions, in the
    /// same order, as four calls of <see cref="AccumulateWeighted"/>, with one load and store of the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWeighted4(
        Span<double> sum, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, ReadOnlySpan<float> d, ReadOnlySpan<double> weights)
    {
        var length = sum.Length;
        if (a.Length != length || b.Length != length || c.Length != length || d.Length != length || weights.Length != 4)
        {
            throw new ArgumentException("The accumulator and the updates differ in length.", nameof(sum));
        }

        double wa = weights[0], wb = weights[1], wc = weights[2], wd = weights[3];
        var i = 0;
        if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
        {
            ref var sums = ref MemoryMarshal.GetReference(sum);
            ref var ar = ref MemoryMarshal.GetReference(a);
            ref var br = ref MemoryMarshal.GetReference(b);
            ref var cr = ref MemoryMarshal.GetReference(c);
            ref var dr = ref MemoryMarshal.GetReference(d);
            var va = Vector256.Create(wa);
            var vb = Vector256.Create(wb);
            var vc = Vector256.Create(wc);
            var vd = Vector256.Create(wd);
            var last = length - Vector256<float>.Count;
            for (; i <= last; i += Vector256<float>.Count)
            {
                var offset = (nuint)i;
                var upperOffset = (nuint)(i + Vector256<double>.Count);
                var (a0, a1) = Vector256.Widen(Vector256.LoadUnsafe(ref ar, offset));
                var (b0, b1) = Vector256.Widen(Vector256.LoadUnsafe(ref br, offset));
                var (c0, c1) = Vector256.Widen(Vector256.LoadUnsafe(ref cr, offset));
                var (d0, d1) = Vector256.Widen(Vector256.LoadUnsafe(ref dr, offset));
                var s0 = Vector256.LoadUnsafe(ref sums, offset);
                var s1 = Vector256.LoadUnsafe(ref sums, upperOffset);
                s0 = (((s0 + (a0 * va)) + (b0 * vb)) + (c0 * vc)) + (d0 * vd);
                s1 = (((s1 + (a1 * va)) + (b1 * vb)) + (c1 * vc)) + (d1 * vd);
                s0.StoreUnsafe(ref sums, offset);
                s1.StoreUnsafe(ref sums, upperOffset);
            }
        }

        for (; i < length; i++)
        {
            sum[i] = (((sum[i] + (a[i] * wa)) + (b[i] * wb)) + (c[i] * wc)) + (d[i] * wd);
        }
    }
}
