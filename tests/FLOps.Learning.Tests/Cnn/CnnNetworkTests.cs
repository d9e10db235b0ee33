using FLOps.Learning.Data;
using FLOps.Learning.Models.Cnn;

namespace FLOps.Learning.Tests.Cnn;

public sealed class CnnNetworkTests
{
    /// <summary>Two channels of 14×14 → 12 → 6 → 4 → 2: small enough to check every parameter by finite differences.</summary>
    private static readonly CnnArchitecture Tiny = new(Height: 14, Width: 14, Channels: 2, Conv1Filters: 2, Conv2Filters: 3, KernelSize: 3, PoolSize: 2, HiddenCount: 5, ClassCount: 4);

    [Fact]
    public void The_gradient_of_every_tensor_matches_central_finite_differences()
    {
        var (features, labels) = Batch(Tiny, count: 5, seed: 1);
        var data = new Dataset(features, labels, Tiny.InputCount, Tiny.ClassCount);
        var parameters = Parameters(Tiny, seed: 2);
        var network = new CnnNetwork(Tiny);
        var gradient = new float[parameters.Length];

        var loss = network.BatchGradient(parameters, data, [0, 1, 2, 3, 4], gradient);

        var reference = parameters.Select(v => (double)v).ToArray();
        Assert.Equal(CnnReference.Loss(Tiny, reference, features, labels), loss, 1e-4);
        const double Step = 1e-5;
        var layout = Tiny.Layout;
        for (var t = 0; t < layout.Tensors.Count; t++)
        {
            var tensor = layout.Tensors[t];
            var offset = (int)layout.OffsetOf(t);
            var worst = 0.0;
            for (var i = offset; i < offset + tensor.Count; i++)
            {
                var saved = reference[i];
                reference[i] = saved + Step;
                var plus = CnnReference.Loss(Tiny, reference, features, labels);
                reference[i] = saved - Step;
                var minus = CnnReference.Loss(Tiny, reference, features, labels);
                reference[i] = saved;
                var numeric = (plus - minus) / (2 * Step);

                var error = Math.Abs(gradient[i] - numeric) / Math.Max(1e-3, Math.Max(Math.Abs(numeric), Math.Abs(gradient[i])));
                worst = Math.Max(worst, error);
                Assert.True(error < 1e-2, $"{tensor.Name}[{i - offset}]: analytic {gradient[i]}, numeric {numeric}");
            }

            // Every tensor takes part: its gradient is not all zeros.
            Assert.Contains(gradient.AsSpan(offset, (int)tensor.Count).ToArray(), g => g != 0f);
            Assert.True(worst < 1e-2, $"{tensor.Name}: worst relative error {worst}");
        }
    }

    [Fact]
    public void Logits_equal_a_naive_double_precision_network_on_the_reference_architecture()
    {
        var architecture = new CnnArchitecture();
        var (features, _) = Batch(architecture, count: 37, seed: 3); // more than one forward batch of 32
        var parameters = Parameters(architecture, seed: 4);
        var network = new CnnNetwork(architecture, threads: 2);
        var logits = new float[37 * 10];

        network.BatchLogits(parameters, features, logits);

        var reference = parameters.Select(v => (double)v).ToArray();
        foreach (var sample in new[] { 0, 5, 31, 32, 36 })
        {
            var expected = CnnReference.Logits(architecture, reference, features.AsSpan(sample * 784, 784));
            for (var c = 0; c < 10; c++)
            {
                Assert.True(Math.Abs(expected[c] - logits[(sample * 10) + c]) < 1e-3, $"sample {sample} class {c}: {logits[(sample * 10) + c]} vs {expected[c]}");
            }
        }
    }

    [Fact]
    public void Im2col_and_a_matrix_multiply_equal_a_naive_convolution_over_a_batch()
    {
        const int Channels = 3, Batch = 4, Height = 9, Width = 7, Kernel = 3, Filters = 5;
        var random = new Random(5);
        // Activations in the network's [channel, sample, row, column] layout.
        var x = Enumerable.Range(0, Channels * Batch * Height * Width).Select(_ => (float)random.NextDouble()).ToArray();
        var weights = Enumerable.Range(0, Filters * Channels * Kernel * Kernel).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        const int OutHeight = Height - Kernel + 1, OutWidth = Width - Kernel + 1, Columns = Batch * OutHeight * OutWidth;
        var col = new float[Channels * Kernel * Kernel * Columns];
        var y = new float[Filters * Columns];

        CnnLayers.Im2Col(x, Channels, Batch, Height, Width, Kernel, col, threads: 2);
        Sgemm.Multiply(false, false, Filters, Columns, Channels * Kernel * Kernel, weights, 0, Channels * Kernel * Kernel, col, 0, Columns, y, 0, Columns, accumulate: false);

        var parameters = weights.Select(w => (double)w).Concat(new double[Filters]).ToArray();
        for (var b = 0; b < Batch; b++)
        {
            var sample = new double[Channels * Height * Width];
            for (var c = 0; c < Channels; c++)
            {
                for (var i = 0; i < Height * Width; i++)
                {
                    sample[(c * Height * Width) + i] = x[(((c * Batch) + b) * Height * Width) + i];
                }
            }

            var expected = CnnReference.Convolve(sample, Channels, Height, Width, parameters, 0, weights.Length, Filters, Kernel);
            for (var f = 0; f < Filters; f++)
            {
                for (var i = 0; i < OutHeight * OutWidth; i++)
                {
                    Assert.Equal(expected[(f * OutHeight * OutWidth) + i], y[(f * Columns) + (b * OutHeight * OutWidth) + i], 1e-5);
                }
            }
        }
    }

    [Fact]
    public void Col2im_is_the_adjoint_of_im2col()
    {
        // <im2col(x), d> = <x, col2im(d)> for any x and d.
        const int Channels = 2, Batch = 3, Height = 6, Width = 5, Kernel = 3;
        var random = new Random(6);
        var x = Enumerable.Range(0, Channels * Batch * Height * Width).Select(_ => (float)random.NextDouble()).ToArray();
        var columns = Batch * (Height - Kernel + 1) * (Width - Kernel + 1);
        var d = Enumerable.Range(0, Channels * Kernel * Kernel * columns).Select(_ => (float)random.NextDouble()).ToArray();
        var col = new float[d.Length];
        var dx = Enumerable.Repeat(99f, x.Length).ToArray(); // overwritten, not added to

        CnnLayers.Im2Col(x, Channels, Batch, Height, Width, Kernel, col, threads: 1);
        CnnLayers.Col2Im(d, Channels, Batch, Height, Width, Kernel, dx, threads: 2);

        var left = col.Zip(d, (a, b) => (double)a * b).Sum();
        var right = x.Zip(dx, (a, b) => (double)a * b).Sum();
        Assert.Equal(left, right, 1e-3);
    }

    [Fact]
    public void Max_pooling_keeps_the_first_maximum_and_its_backward_routes_only_there()
    {
        // Two 4×5 planes (the last column is dropped, floor mode); in plane 1 every value is negative.
        float[] y =
        [
            1, 5, 2, 2, 9,
            3, 4, 2, 7, 9,
            0, 0, 8, 1, 9,
            6, 0, 8, 8, 9,
            -1, -2, -3, -4, 0,
            -5, -6, -7, -8, 0,
            -1, -1, -1, -1, 0,
            -1, -1, -1, -1, 0,
        ];
        var pooled = new float[8];
        var argMax = new int[8];
        float[] bias = [0.5f, 0.25f]; // one plane per channel

        CnnLayers.MaxPoolRelu(y, planes: 2, height: 4, width: 5, pool: 2, bias, biasOffset: 0, planesPerChannel: 1, pooled, argMax, threads: 2);

        Assert.Equal([5.5f, 7.5f, 6.5f, 8.5f, 0f, 0f, 0f, 0f], pooled);
        Assert.Equal([1, 8, 15, 12, 20, 22, 30, 32], argMax); // ties (8, 8 and −1 ×4) go to the first in the window

        var dPooled = new float[] { 10, 20, 30, 40, 50, 60, 70, 80 };
        var dy = Enumerable.Repeat(99f, y.Length).ToArray();
        var sums = new float[2];
        CnnLayers.MaxPoolReluBackward(dPooled, pooled, argMax, planes: 2, height: 4, width: 5, pool: 2, dy, sums, threads: 2);

        var expected = new float[y.Length];
        expected[1] = 10;
        expected[8] = 20;
        expected[15] = 30;
        expected[12] = 40;
        // Plane 1 pooled to zero after ReLU: no gradient flows back.
        Assert.Equal(expected, dy);
        Assert.Equal([100f, 0f], sums);
    }

    [Theory]
    [InlineData(26, 26)] // conv1's output: 13 windows a row, the vector path with an overlapping last step
    [InlineData(11, 11)] // conv2's: 5 windows a row, the scalar path
    [InlineData(6, 35)] // 17 windows, odd width
    public void Max_pooling_equals_a_naive_pooling_on_random_planes(int height, int width)
    {
        const int Planes = 6, PerChannel = 3;
        var random = new Random(height + width);
        var y = Enumerable.Range(0, Planes * height * width).Select(_ => (float)Math.Round(random.NextDouble() - 0.5, 2)).ToArray();
        float[] bias = [9f, 0.1f, -0.2f]; // at offset 1: channels get 0.1 and −0.2
        var pooledSize = height / 2 * (width / 2);
        var pooled = new float[Planes * pooledSize];
        var argMax = new int[pooled.Length];

        CnnLayers.MaxPoolRelu(y, Planes, height, width, 2, bias, 1, PerChannel, pooled, argMax, threads: 1);

        for (var plane = 0; plane < Planes; plane++)
        {
            for (var py = 0; py < height / 2; py++)
            {
                for (var px = 0; px < width / 2; px++)
                {
                    var best = (plane * height * width) + (2 * py * width) + (2 * px);
                    foreach (var candidate in new[] { best + 1, best + width, best + width + 1 })
                    {
                        best = y[candidate] > y[best] ? candidate : best;
                    }

                    var o = (plane * pooledSize) + (py * (width / 2)) + px;
                    Assert.Equal(best, argMax[o]);
                    Assert.Equal(Math.Max(y[best] + bias[1 + (plane / PerChannel)], 0f), pooled[o]);
                }
            }
        }
    }

    [Fact]
    public void Initialize_is_reproducible_he_uniform_with_zero_biases()
    {
        var architecture = new CnnArchitecture();
        var layout = architecture.Layout;
        var first = Initialized(architecture, seed: 9);

        Assert.Equal(first, Initialized(architecture, seed: 9));
        Assert.NotEqual(first, Initialized(architecture, seed: 10));
        for (var t = 0; t < layout.Tensors.Count; t++)
        {
            var tensor = layout.Tensors[t];
            var values = first.AsSpan((int)layout.OffsetOf(t), (int)tensor.Count).ToArray();
            if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Assert.All(values, v => Assert.Equal(0f, v));
                continue;
            }

            var fanIn = tensor.Count / tensor.Shape[0];
            var limit = tensor.Name == "fc2.weight" ? Math.Sqrt(6.0 / (128 + 10)) : Math.Sqrt(6.0 / fanIn);
            Assert.All(values, v => Assert.InRange(v, -limit, limit));
            Assert.True(values.Max() > 0.9 * limit && values.Min() < -0.9 * limit, tensor.Name);
        }
    }

    [Fact]
    public void Buffers_grow_to_a_larger_batch_and_wrong_lengths_are_refused()
    {
        var network = new CnnNetwork(Tiny);
        var parameters = Parameters(Tiny, 1);
        var (features, labels) = Batch(Tiny, 40, 1);
        var data = new Dataset(features, labels, Tiny.InputCount, Tiny.ClassCount);
        var gradient = new float[parameters.Length];
        var logits = new float[40 * Tiny.ClassCount];

        network.BatchGradient(parameters, data, [0, 1], gradient);
        var many = network.BatchGradient(parameters, data, [.. Enumerable.Range(0, 40)], gradient);
        network.BatchLogits(parameters, features, logits);

        Assert.Equal(CnnReference.Loss(Tiny, [.. parameters.Select(v => (double)v)], features, labels), many, 1e-3);
        Assert.Throws<ArgumentException>(() => network.BatchGradient(parameters, data, [0], new float[3]));
        Assert.Throws<ArgumentException>(() => network.BatchGradient(new float[3], data, [0], gradient));
        Assert.Throws<ArgumentException>(() => network.BatchLogits(parameters, features.AsSpan(1), logits));
    }

    internal static (float[] Features, byte[] Labels) Batch(CnnArchitecture architecture, int count, int seed)
    {
        var random = new Random(seed);
        var features = Enumerable.Range(0, count * architecture.InputCount).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, count).Select(_ => (byte)random.Next(architecture.ClassCount)).ToArray();
        return (features, labels);
    }

    /// <summary>He-initialised weights with small random biases, so that bias terms matter in the forward pass too.</summary>
    internal static float[] Parameters(CnnArchitecture architecture, int seed)
    {
        var parameters = Initialized(architecture, seed);
        var random = new Random(seed + 1000);
        var layout = architecture.Layout;
        for (var t = 1; t < layout.Tensors.Count; t += 2)
        {
            var offset = (int)layout.OffsetOf(t);
            for (var i = offset; i < offset + layout.Tensors[t].Count; i++)
            {
                parameters[i] = (float)((random.NextDouble() - 0.5) * 0.2);
            }
        }

        return parameters;
    }

    private static float[] Initialized(CnnArchitecture architecture, int seed)
    {
        var parameters = new float[architecture.Layout.ParameterCount];
        CnnNetwork.Initialize(architecture, parameters, seed);
        return parameters;
    }
}
