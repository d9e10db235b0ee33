using System.Numerics.Tensors;

namespace FLOps.Learning.Privacy;

/// <summary>
/// Server-side differential privacy with fixed clipping, as Flower's
/// <c>DifferentialPrivacyServerSideFixedClipping</c>: each update's change to the global model
/// is scaled down to L2 norm at most C before aggregation, and the aggregated model gets Gaussian
/// noise of standard deviation z·C/n per coordinate (n updates aggregated).
/// </summary>
public sealed class ServerSideFixedClipping
{
    public ServerSideFixedClipping(double clippingNorm, double noiseMultiplier)
    {
        if (!double.IsFinite(clippingNorm) || clippingNorm <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clippingNorm), clippingNorm, "The clipping norm must be positive.");
        }

        if (!double.IsFinite(noiseMultiplier) || noiseMultiplier < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be at least 0.");
        }

        ClippingNorm = clippingNorm;
        NoiseMultiplier = noiseMultiplier;
    }

    public double ClippingNorm { get; }

    public double NoiseMultiplier { get; }

    /// <summary>Flower's <c>compute_stdv</c>: noise_multiplier · clipping_norm / num_sampled_clients.</summary>
    public double NoiseStandardDeviation(int updateCount) =>
        updateCount <= 0 ? throw new ArgumentOutOfRangeException(nameof(updateCount)) : NoiseMultiplier * ClippingNorm / updateCount;

    /// <summary>
    /// global + (update − global)·min(1, C/‖update − global‖₂), as a new array; the update itself
    /// when its change is within the bound.
    /// </summary>
    public float[] Clip(float[] update, ReadOnlySpan<float> global)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Length != global.Length)
        {
            throw new ArgumentException($"The update has {update.Length} parameters, the global model {global.Length}.", nameof(update));
        }

        var delta = new float[update.Length];
        TensorPrimitives.Subtract(update, global, delta);
        var norm = L2Norm(delta);
        if (norm <= ClippingNorm)
        {
            return update;
        }

        var scale = (float)(ClippingNorm / norm);
        var clipped = new float[update.Length];
        TensorPrimitives.MultiplyAdd(delta, scale, global, clipped);
        return clipped;
    }

    /// <summary>Adds N(0, (z·C/n)²) to every coordinate of <paramref name="aggregate"/>, drawn from <paramref name="seed"/>.</summary>
    public void AddNoise(Span<float> aggregate, int updateCount, int seed)
    {
        var stdev = NoiseStandardDeviation(updateCount);
        if (stdev == 0)
        {
            return;
        }

        var random = new Random(seed);
        for (var i = 0; i < aggregate.Length; i++)
        {
            aggregate[i] += (float)(stdev * Gaussian.Standard(random));
        }
    }

    /// <summary>‖v‖₂ accumulated in double precision.</summary>
    public static double L2Norm(ReadOnlySpan<float> vector)
    {
        var sum = 0.0;
        foreach (var v in vector)
        {
            sum += (double)v * v;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>‖a − b‖₂ accumulated in double precision.</summary>
    public static double DistanceL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }
}

/// <summary>Standard normal draws from a seeded <see cref="Random"/> (Box–Muller).</summary>
public static class Gaussian
{
    public static double Standard(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
