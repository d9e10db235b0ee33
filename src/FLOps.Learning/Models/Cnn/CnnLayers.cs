using System.Runtime.CompilerServices;

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
                        plane.Slice(((oy + ky) * width) + kx, outWidth).CopyTo(target.Slice(((b * outHeight) + oy) * outWidth, outWidth));
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
                                var target = plane.Slice(((oy + ky) * width) + kx, outWidth);
                                System.Numerics.Tensors.TensorPrimitives.Add(target, source.Slice(((b * outHeight) + oy) * outWidth, outWidth), target);
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// ReLU then p×p max-pooling with stride p (floor mode) over <paramref name="planes"/> planes of
    /// height×width, fused as pooling then ReLU (they commute). <paramref name="argMax"/> receives the
    /// index in <paramref name="y"/> of each window's first maximum, for the backward pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolRelu(float[] y, int planes, int height, int width, int pool, float[] pooled, int[] argMax, int threads)
    {
        var pooledHeight = height / pool;
        var pooledWidth = width / pool;
        CnnParallel.ForRanges(planes, threads, (first, last) =>
        {
            for (var plane = first; plane < last; plane++)
            {
                var inBase = plane * height * width;
                var outBase = plane * pooledHeight * pooledWidth;
                for (var py = 0; py < pooledHeight; py++)
                {
                    var output = pooled.AsSpan(outBase + (py * pooledWidth), pooledWidth);
                    var indices = argMax.AsSpan(outBase + (py * pooledWidth), pooledWidth);
                    if (pool == 2)
                    {
                        MaxPool2Row(y.AsSpan(inBase + (2 * py * width), 2 * width), width, inBase + (2 * py * width), output, indices);
                    }
                    else
                    {
                        MaxPoolRow(y, inBase + (py * pool * width), width, pool, output, indices);
                    }
                }
            }
        });
    }

    /// <summary>
    /// One output row of 2×2 pooling over two input rows, without branches: the arg-max is the lowest
    /// set bit of "equals the maximum" over the window in scan order, so ties go to the first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2Row(ReadOnlySpan<float> rows, int width, int rowStart, Span<float> output, Span<int> indices)
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
            var offset = System.Numerics.BitOperations.TrailingZeroCount(mask); // 32 only for NaN; clamped below
            offset = Math.Min(offset, 3);
            output[px] = float.MaxNative(max, 0f);
            indices[px] = rowStart + x + (offset & 1) + ((offset >> 1) * width);
        }
    }

    /// <summary>
    /// 1 if <paramref name="value"/> has the bits of the maximum: MaxNative returns one of its operands,
    /// so this is equality, and unlike a float compare the JIT makes it a branch-free setcc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Same(float value, int bits) => BitConverter.SingleToInt32Bits(value) == bits ? 1u : 0u;

    private static void MaxPoolRow(float[] y, int rowStart, int width, int pool, Span<float> output, Span<int> indices)
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

            output[px] = Math.Max(bestValue, 0f);
            indices[px] = best;
        }
    }

    /// <summary>
    /// The adjoint of <see cref="MaxPoolRelu"/>: each pooled gradient goes to its window's arg-max if
    /// the pooled output was positive (ReLU passes nothing at or below zero); the rest of
    /// <paramref name="dy"/> is zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolReluBackward(
        float[] dPooled, float[] pooled, int[] argMax, int planes, int height, int width, int pool, float[] dy, int threads)
    {
        var pooledSize = (height / pool) * (width / pool);
        CnnParallel.ForRanges(planes, threads, (first, last) =>
        {
            dy.AsSpan(first * height * width, (last - first) * height * width).Clear();
            for (var o = first * pooledSize; o < last * pooledSize; o++)
            {
                if (pooled[o] > 0f)
                {
                    dy[argMax[o]] = dPooled[o];
                }
            }
        });
    }
}
