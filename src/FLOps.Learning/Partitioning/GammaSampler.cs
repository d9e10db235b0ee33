namespace FLOps.Learning.Partitioning;

/// <summary>Gamma and Dirichlet draws from a seeded <see cref="Random"/>, so partitions are reproducible.</summary>
internal static class GammaSampler
{
    /// <summary>
    /// Fills <paramref name="proportions"/> with a Dirichlet(alpha, …, alpha) draw. Works in log
    /// space because for small alpha the gamma draws underflow to zero, which would otherwise
    /// leave proportions of 0/0.
    /// </summary>
    public static void SampleSymmetricDirichlet(Random random, double alpha, Span<double> proportions)
    {
        var max = double.NegativeInfinity;
        for (var i = 0; i < proportions.Length; i++)
        {
            proportions[i] = LogGamma(random, alpha);
            max = Math.Max(max, proportions[i]);
        }

        var sum = 0.0;
        for (var i = 0; i < proportions.Length; i++)
        {
            proportions[i] = Math.Exp(proportions[i] - max);
            sum += proportions[i];
        }

        for (var i = 0; i < proportions.Length; i++)
        {
            proportions[i] /= sum;
        }
    }

    /// <summary>ln of a Gamma(shape, 1) draw.</summary>
    public static double LogGamma(Random random, double shape)
    {
        if (shape >= 1)
        {
            return Math.Log(MarsagliaTsang(random, shape));
        }

        // Gamma(a) = Gamma(a + 1) · U^(1/a) for a < 1 (Marsaglia & Tsang, 2000, §6).
        return Math.Log(MarsagliaTsang(random, shape + 1)) + (Math.Log(OpenUnit(random)) / shape);
    }

    /// <summary>Marsaglia–Tsang squeeze method; valid for shape ≥ 1.</summary>
    public static double MarsagliaTsang(Random random, double shape)
    {
        var d = shape - (1.0 / 3.0);
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1.0 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = OpenUnit(random);
            var x2 = x * x;
            if (u < 1.0 - (0.0331 * x2 * x2) || Math.Log(u) < (0.5 * x2) + (d * (1.0 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; only one of the pair is used, which keeps the stream simple to reason about.
        var u1 = OpenUnit(random);
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Uniform on (0, 1], so its logarithm is finite.</summary>
    private static double OpenUnit(Random random) => 1.0 - random.NextDouble();
}
