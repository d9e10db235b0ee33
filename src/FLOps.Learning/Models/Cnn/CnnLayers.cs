using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FLOps.Learning.Models.Cnn;

/// <summary>
/// The data-movement layers of <see cref="CnnNetwork"/> on activations laid out channel-major over
/// the batch, <c>[channel, sample, row, column]</c> ("CNHW"): then a convolution of the whole
/// batch is one matrix multiply, <c>Y[filters, batch·outH·outW] = W[filters, C·k·k] · col</c>.
/// </summary>
internal static class CnnLayers
{
    /// <summary>
    /// im2col for a valid, stride-1 k×k convolution: <c>col[(c·k + ky)·k + kx, (b·outH + oy)·outW + ox] =
    /// x[c, b, oy + ky, ox + kx]</c>, so <paramref name="col"/> has C·k·k rows of batch·outH·outW.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(float[] x, int channels, int batch, int height, int width, int kernel, float[] col, int threads)
    {
        var outHeight = height - kernel + 1;
        var outWidth = width - kernel + 1;
        var columns = batch * outHeight * outWidth;
        CnnParallel.ForRanges(channels * kernel * kernel, threads, (first, last) =>
        {
            for (var row = first; row < last; row++)
            {
                var c = row / (kernel * kernel);
                var ky = row / kernel % kernel;
                var kx = row % kernel;
                var target = col.AsSpan(row * columns, columns);
                for (var b = 0; b < batch; b++)
                {
                    var plane = x.AsSpan(((c * batch) + b) * height * width, height * width);
                    for (var oy = 0; oy < outHeight; oy++)
                    {
                        CopyShort(plane.Slice(((oy + ky) * width) + kx, outWidth), target.Slice(((b * outHeight) + oy) * outWidth, outWidth));
                    }
                }
            }
        });
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: <c>dx[c, b, oy + ky, ox + kx] = Σ dcol[…]</c>; overwrites <paramref name="dx"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(float[] dcol, int channels, int batch, int height, int width, int kernel, float[] dx, int threads)
    {
        var outHeight = height - kernel + 1;
        var outWidth = width - kernel + 1;
        var columns = batch * outHeight * outWidth;
        CnnParallel.ForRanges(channels, threads, (first, last) =>
        {
            // Each part owns whole channels of dx, so no two threads add to the same element.
            dx.AsSpan(first * batch * height * width, (last - first) * batch * height * width).Clear();
            for (var c = first; c < last; c++)
            {
                for (var ky = 0; ky < kernel; ky++)
                {
                    for (var kx = 0; kx < kernel; kx++)
                    {
                        var source = dcol.AsSpan((((c * kernel) + ky) * kernel + kx) * columns, columns);
                        for (var b = 0; b < batch; b++)
                        {
                            var plane = dx.AsSpan(((c * batch) + b) * height * width, height * width);
                            for (var oy = 0; oy < outHeight; oy++)
                            {
                                AddShort(source.Slice(((b * outHeight) + oy) * outWidth, outWidth), plane.Slice(((oy + ky) * width) + kx, outWidth));
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// Bias, ReLU and p×p max-pooling with stride p (floor mode) over <paramref name="planes"/> planes of
    /// height×width, fused: the pooled value is <c>max(max(window) + bias[c], 0)</c> with c =
    /// plane / <paramref name="planesPerChannel"/>, which equals pooling the biased, rectified plane
    /// (adding a constant and ReLU are monotonic) while reading the plane once and never writing it.
    /// <paramref name="argMax"/> receives the index in <paramref name="y"/> of each window's first
    /// maximum (scan order), for the backward pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolRelu(
        float[] y, int planes, int height, int width, int pool, float[] bias, int biasOffset, int planesPerChannel, float[] pooled, int[] argMax, int threads)
    {
        var pooledHeight = height / pool;
        var pooledWidth = width / pool;
        CnnParallel.ForRanges(planes, threads, (first, last) =>
        {
            for (var plane = first; plane < last; plane++)
            {
                var inBase = plane * height * width;
                var outBase = plane * pooledHeight * pooledWidth;
                var b = bias[biasOffset + (plane / planesPerChannel)];
                for (var py = 0; py < pooledHeight; py++)
                {
                    var rowStart = inBase + (py * pool * width);
                    var output = pooled.AsSpan(outBase + (py * pooledWidth), pooledWidth);
                    var indices = argMax.AsSpan(outBase + (py * pooledWidth), pooledWidth);
                    if (pool != 2)
                    {
                        MaxPoolRow(y, rowStart, width, pool, b, output, indices);
                    }
                    else if (Avx2.IsSupported && pooledWidth >= 8)
                    {
                        MaxPool2RowAvx2(y.AsSpan(rowStart, 2 * width), width, rowStart, b, output, indices);
                    }
                    else
                    {
                        MaxPool2Row(y.AsSpan(rowStart, 2 * width), width, rowStart, b, output, indices);
                    }
                }
            }
        });
    }

    /// <summary>
    /// The adjoint of <see cref="MaxPoolRelu"/>: each pooled gradient goes to its window's arg-max if
    /// the pooled output was positive (ReLU passes nothing at or below zero); the rest of
    /// <paramref name="dy"/> is zero. <paramref name="dPooled"/> is overwritten with the gradients that
    /// pass, and <paramref name="planeSums"/>[plane] receives their sum, which is the plane's share of
    /// the bias gradient (the sum of its part of <paramref name="dy"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolReluBackward(
        float[] dPooled, float[] pooled, int[] argMax, int planes, int height, int width, int pool, float[] dy, float[] planeSums, int threads)
    {
        var pooledSize = (height / pool) * (width / pool);
        CnnParallel.ForRanges(planes, threads, (first, last) =>
        {
            dy.AsSpan(first * height * width, (last - first) * height * width).Clear();
            for (var plane = first; plane < last; plane++)
            {
                var gradients = dPooled.AsSpan(plane * pooledSize, pooledSize);
                var values = pooled.AsSpan(plane * pooledSize, pooledSize);
                var indices = argMax.AsSpan(plane * pooledSize, pooledSize);
                var i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    // Mask without branches (whether a unit is active is a coin toss to a branch predictor).
                    for (; i + Vector256<float>.Count <= pooledSize; i += Vector256<float>.Count)
                    {
                        var active = Vector256.GreaterThan(Vector256.Create(values.Slice(i, Vector256<float>.Count)), Vector256<float>.Zero);
                        (Vector256.Create(gradients.Slice(i, Vector256<float>.Count)) & active).CopyTo(gradients.Slice(i, Vector256<float>.Count));
                    }
                }

                for (; i < pooledSize; i++)
                {
                    gradients[i] = values[i] > 0f ? gradients[i] : 0f;
                }

                planeSums[plane] = TensorPrimitives.Sum(gradients);
                for (i = 0; i < pooledSize; i++)
                {
                    dy[indices[i]] = gradients[i];
                }
            }
        });
    }

    /// <summary>
    /// One output row of 2×2 pooling over two input rows, eight windows at a time: the even and odd
    /// columns of each row are separated with shuffles, the window maximum is their maximum, and the
    /// arg-max is the first of the four (in scan order) equal to it. When the row is not a multiple of
    /// eight windows the last step overlaps the one before, which only rewrites the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2RowAvx2(ReadOnlySpan<float> rows, int width, int rowStart, float bias, Span<float> output, Span<int> indices)
    {
        ref var top = ref MemoryMarshal.GetReference(rows);
        ref var bottom = ref Unsafe.Add(ref top, width);
        var columns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var biasVector = Vector256.Create(bias);
        var windows = output.Length;
        for (var start = 0; start < windows; start += 8)
        {
            var px = Math.Min(start, windows - 8);
            var x = 2 * px;
            var (a, b) = EvenOdd(Vector256.LoadUnsafe(ref top, (nuint)x), Vector256.LoadUnsafe(ref top, (nuint)(x + 8)));
            var (c, d) = EvenOdd(Vector256.LoadUnsafe(ref bottom, (nuint)x), Vector256.LoadUnsafe(ref bottom, (nuint)(x + 8)));
            var max = Avx.Max(Avx.Max(a, b), Avx.Max(c, d));
            var offset = Vector256.Create(width + 1);
            offset = Vector256.ConditionalSelect(Vector256.Equals(c, max).AsInt32(), Vector256.Create(width), offset);
            offset = Vector256.ConditionalSelect(Vector256.Equals(b, max).AsInt32(), Vector256.Create(1), offset);
            offset = Vector256.ConditionalSelect(Vector256.Equals(a, max).AsInt32(), Vector256<int>.Zero, offset);
            Avx.Max(max + biasVector, Vector256<float>.Zero).StoreUnsafe(ref MemoryMarshal.GetReference(output), (nuint)px);
            (Vector256.Create(rowStart + x) + columns + offset).StoreUnsafe(ref MemoryMarshal.GetReference(indices), (nuint)px);
        }
    }

    /// <summary>The even and the odd elements of sixteen consecutive floats, each in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) EvenOdd(Vector256<float> low, Vector256<float> high)
    {
        // Shuffle works within 128-bit lanes: (l0 l2 h0 h2 | l4 l6 h4 h6); swapping the middle 64-bit
        // quarters puts them in order.
        var even = Avx2.Permute4x64(Avx.Shuffle(low, high, 0x88).AsDouble(), 0xD8).AsSingle();
        var odd = Avx2.Permute4x64(Avx.Shuffle(low, high, 0xDD).AsDouble(), 0xD8).AsSingle();
        return (even, odd);
    }

    /// <summary>
    /// One output row of 2×2 pooling without branches: the arg-max is the lowest set bit of "equals
    /// the maximum" over the window in scan order, so ties go to the first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2Row(ReadOnlySpan<float> rows, int width, int rowStart, float bias, Span<float> output, Span<int> indices)
    {
        var top = rows[..width];
        var bottom = rows.Slice(width, width);
        for (var px = 0; px < output.Length; px++)
        {
            var x = 2 * px;
            var a = top[x];
            var b = top[x + 1];
            var c = bottom[x];
            var d = bottom[x + 1];
            var max = float.MaxNative(float.MaxNative(a, b), float.MaxNative(c, d));
            var bits = BitConverter.SingleToInt32Bits(max);
            var mask = Same(a, bits) | (Same(b, bits) << 1) | (Same(c, bits) << 2) | (Same(d, bits) << 3);
            var offset = Math.Min(BitOperations.TrailingZeroCount(mask), 3); // 32 only for NaN
            output[px] = float.MaxNative(max + bias, 0f);
            indices[px] = rowStart + x + (offset & 1) + ((offset >> 1) * width);
        }
    }

    /// <summary>
    /// 1 if <paramref name="value"/> has the bits of the maximum: MaxNative returns one of its operands,
    /// so this is equality, and unlike a float compare the JIT makes it a branch-free setcc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Same(float value, int bits) => BitConverter.SingleToInt32Bits(value) == bits ? 1u : 0u;

    private static void MaxPoolRow(float[] y, int rowStart, int width, int pool, float bias, Span<float> output, Span<int> indices)
    {
        for (var px = 0; px < output.Length; px++)
        {
            var best = rowStart + (px * pool);
            var bestValue = y[best];
            for (var dy = 0; dy < pool; dy++)
            {
                var start = rowStart + (dy * width) + (px * pool);
                for (var dx = 0; dx < pool; dx++)
                {
                    if (y[start + dx] > bestValue)
                    {
                        bestValue = y[start + dx];
                        best = start + dx;
                    }
                }
            }

            output[px] = Math.Max(bestValue + bias, 0f);
            indices[px] = best;
        }
    }

    /// <summary>Copies a short row (im2col's are 11 to 26 floats) with whole vectors, the last one overlapping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(ReadOnlySpan<float> source, Span<float> target)
    {
        var length = source.Length;
        if (length < Vector256<float>.Count || !Vector256.IsHardwareAccelerated || target.Length != length)
        {
            source.CopyTo(target);
            return;
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(target);
        var i = 0;
        for (; i + Vector256<float>.Count < length; i += Vector256<float>.Count)
        {
            Vector256.LoadUnsafe(ref from, (nuint)i).StoreUnsafe(ref to, (nuint)i);
        }

        var last = (nuint)(length - Vector256<float>.Count);
        Vector256.LoadUnsafe(ref from, last).StoreUnsafe(ref to, last);
    }

    /// <summary>target += source for a short row, whole vectors then the tail one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddShort(ReadOnlySpan<float> source, Span<float> target)
    {
        var length = source.Length;
        if (target.Length != length)
        {
            throw new ArgumentException("The rows differ in length.", nameof(target));
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(target);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= length; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref to, (nuint)i) + Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) += Unsafe.Add(ref from, i);
        }
    }
}
