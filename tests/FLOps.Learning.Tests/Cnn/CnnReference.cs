using FLOps.Learning.Models.Cnn;

namespace FLOps.Learning.Tests.Cnn;

/// <summary>
/// A deliberately plain CNN in double precision, one sample at a time in PyTorch's [C, H, W]
/// layout with direct (nested-loop) convolutions, to check the fast path against.
/// </summary>
internal static class CnnReference
{
    /// <summary>Logits of one sample.</summary>
    public static double[] Logits(CnnArchitecture a, double[] p, ReadOnlySpan<float> features)
    {
        var layout = a.Layout;
        int At(int tensor) => (int)layout.OffsetOf(tensor);
        var x = features.ToArray().Select(v => (double)v).ToArray();
        var c1 = Convolve(x, a.Channels, a.Height, a.Width, p, At(0), At(1), a.Conv1Filters, a.KernelSize);
        var p1 = MaxPool(Relu(c1), a.Conv1Filters, a.Conv1Height, a.Conv1Width, a.PoolSize);
        var c2 = Convolve(p1, a.Conv1Filters, a.Pool1Height, a.Pool1Width, p, At(2), At(3), a.Conv2Filters, a.KernelSize);
        var p2 = MaxPool(Relu(c2), a.Conv2Filters, a.Conv2Height, a.Conv2Width, a.PoolSize);
        var h = Relu(Dense(p2, p, At(4), At(5), a.HiddenCount));
        return Dense(h, p, At(6), At(7), a.ClassCount);
    }

    /// <summary>Summed cross-entropy of a batch, as <see cref="CnnNetwork.BatchGradient"/> reports it.</summary>
    public static double Loss(CnnArchitecture a, double[] p, float[] features, byte[] labels)
    {
        var loss = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var z = Logits(a, p, features.AsSpan(i * a.InputCount, a.InputCount));
            var max = z.Max();
            var logSum = Math.Log(z.Sum(v => Math.Exp(v - max))) + max;
            loss += logSum - z[labels[i]];
        }

        return loss;
    }

    /// <summary>Valid, stride-1 convolution (cross-correlation, as PyTorch's Conv2d): [C, H, W] → [F, H−k+1, W−k+1].</summary>
    public static double[] Convolve(double[] x, int channels, int height, int width, double[] p, int weight, int bias, int filters, int k)
    {
        var oh = height - k + 1;
        var ow = width - k + 1;
        var y = new double[filters * oh * ow];
        for (var f = 0; f < filters; f++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var sum = p[bias + f];
                    for (var c = 0; c < channels; c++)
                    {
                        for (var ky = 0; ky < k; ky++)
                        {
                            for (var kx = 0; kx < k; kx++)
                            {
                                sum += p[weight + (((((f * channels) + c) * k) + ky) * k) + kx] * x[(((c * height) + oy + ky) * width) + ox + kx];
                            }
                        }
                    }

                    y[(((f * oh) + oy) * ow) + ox] = sum;
                }
            }
        }

        return y;
    }

    /// <summary>Max-pooling with stride = size, floor mode: [C, H, W] → [C, H/size, W/size].</summary>
    public static double[] MaxPool(double[] x, int channels, int height, int width, int size)
    {
        var ph = height / size;
        var pw = width / size;
        var y = new double[channels * ph * pw];
        for (var c = 0; c < channels; c++)
        {
            for (var py = 0; py < ph; py++)
            {
                for (var px = 0; px < pw; px++)
                {
                    var best = double.NegativeInfinity;
                    for (var dy = 0; dy < size; dy++)
                    {
                        for (var dx = 0; dx < size; dx++)
                        {
                            best = Math.Max(best, x[(((c * height) + (py * size) + dy) * width) + (px * size) + dx]);
                        }
                    }

                    y[(((c * ph) + py) * pw) + px] = best;
                }
            }
        }

        return y;
    }

    private static double[] Relu(double[] x) => x.Select(v => Math.Max(0.0, v)).ToArray();

    private static double[] Dense(double[] x, double[] p, int weight, int bias, int outputs)
    {
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = p[bias + o];
            for (var i = 0; i < x.Length; i++)
            {
                sum += p[weight + (o * x.Length) + i] * x[i];
            }

            y[o] = sum;
        }

        return y;
    }
}
