using FLOps.Learning.Data;

namespace FLOps.Learning.Tests;

/// <summary>Seeded toy problems small enough to train in milliseconds.</summary>
internal static class SyntheticData
{
    /// <summary>Gaussian blobs around well-separated class centres: linearly separable in practice.</summary>
    public static Dataset Blobs(int classes = 3, int features = 20, int samples = 600, int seed = 1)
    {
        var random = new Random(seed);
        var centres = new float[classes, features];
        for (var c = 0; c < classes; c++)
        {
            for (var f = 0; f < features; f++)
            {
                centres[c, f] = (float)((random.NextDouble() * 2) - 1) * 2f;
            }
        }

        var values = new float[samples * features];
        var labels = new byte[samples];
        for (var i = 0; i < samples; i++)
        {
            var label = i % classes;
            labels[i] = (byte)label;
            for (var f = 0; f < features; f++)
            {
                values[(i * features) + f] = centres[label, f] + (0.5f * Gaussian(random));
            }
        }

        return new Dataset(values, labels, features, classes);
    }

    /// <summary>Labels only, cycling through the classes: <paramref name="perClass"/> of each.</summary>
    public static byte[] BalancedLabels(int classes, int perClass)
    {
        var labels = new byte[classes * perClass];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = (byte)(i % classes);
        }

        return labels;
    }

    private static float Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
