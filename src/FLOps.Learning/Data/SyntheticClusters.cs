using FLOps.Learning.Partitioning;

namespace FLOps.Learning.Data;

/// <summary>
/// The bundled synthetic data set (data tag <c>synthetic</c>): <see cref="ClassCount"/> Gaussian
/// clusters in <see cref="FeatureCount"/> dimensions, generated on the fly and seeded, so that any
/// number of simulated devices can hold a shard without a file: a device's
/// <see cref="SamplesPerDevice"/> samples depend only on the project seed and its shard index.
/// The cluster centres are fixed (the same for every seed), so the held-out set is the same for
/// every project. Meant for orchestration benchmarks with a tiny model, not for learning anything.
/// </summary>
public static class SyntheticClusters
{
    public const string Tag = "synthetic";
    public const int FeatureCount = 16;
    public const int ClassCount = 4;
    public const int SamplesPerDevice = 8;
    public const int EvaluationCount = 1_000;

    private const int CentreSeed = 20_261_126;
    private const int EvaluationSeed = 7_919;
    private const float Spread = 1f;

    private static readonly float[] Centres = CreateCentres();
    private static readonly Lazy<Dataset> Evaluation = new(() => Generate(new Random(EvaluationSeed), EvaluationCount, null));

    /// <summary>The held-out set: <see cref="EvaluationCount"/> samples, classes drawn uniformly.</summary>
    public static Dataset EvaluationSet => Evaluation.Value;

    /// <summary>
    /// Shard <paramref name="index"/>: labels drawn uniformly (<c>iid</c>) or from the device's own
    /// Dirichlet(alpha) class mix (<c>dirichlet:ALPHA</c>); features are the class centre plus
    /// unit Gaussian noise.
    /// </summary>
    public static Dataset Shard(string partition, int seed, int index)
    {
        var random = new Random(PartitionArguments.DeriveSeed(seed, index));
        double[]? mix = null;
        if (PartitionScheme.Parse(partition) is DirichletPartitioner dirichlet)
        {
            mix = new double[ClassCount];
            GammaSampler.SampleSymmetricDirichlet(random, dirichlet.Alpha, mix);
        }

        return Generate(random, SamplesPerDevice, mix);
    }

    private static Dataset Generate(Random random, int count, double[]? mix)
    {
        var features = new float[count * FeatureCount];
        var labels = new byte[count];
        for (var i = 0; i < count; i++)
        {
            var label = mix is null ? random.Next(ClassCount) : Draw(random, mix);
            labels[i] = (byte)label;
            var row = features.AsSpan(i * FeatureCount, FeatureCount);
            var centre = Centres.AsSpan(label * FeatureCount, FeatureCount);
            for (var f = 0; f < FeatureCount; f++)
            {
                row[f] = centre[f] + (Spread * Gaussian(random));
            }
        }

        return new Dataset(features, labels, FeatureCount, ClassCount);
    }

    private static int Draw(Random random, double[] mix)
    {
        var u = random.NextDouble();
        for (var c = 0; c < mix.Length - 1; c++)
        {
            u -= mix[c];
            if (u < 0)
            {
                return c;
            }
        }

        return mix.Length - 1;
    }

    private static float Gaussian(Random random)
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    private static float[] CreateCentres()
    {
        var random = new Random(CentreSeed);
        var centres = new float[ClassCount * FeatureCount];
        for (var i = 0; i < centres.Length; i++)
        {
            centres[i] = random.Next(2) == 0 ? -1.5f : 1.5f;
        }

        return centres;
    }
}
