using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Training;

/// <summary>
/// Seeded mini-batch SGD for every kind of <see cref="ModelCatalog"/>: the epochs, the shuffling,
/// the batches, momentum, the FedProx term and the step are the same for all; each batch's gradient
/// comes from the kind's <see cref="ModelNetwork"/>.
/// </summary>
/// <remarks>
/// Everything runs on the calling thread in a fixed order, so the same seed, parameters and
/// data give bit-identical results on the same machine; parallel summation would not.
/// The hot loops skip tiered JIT (AggressiveOptimization): a silo trains only a few times per
/// round, so tier-0 code would otherwise dominate the first rounds.
/// </remarks>
public static class LocalTrainer
{
    /// <summary>Trains <paramref name="parameters"/> in place on <paramref name="data"/>.</summary>
    /// <remarks>
    /// Minimises mean cross-entropy, plus (mu/2)·||w − w₀||² when <see cref="TrainingOptions.ProximalMu"/>
    /// is positive, where w₀ are the parameters on entry (FedProx). With <see cref="TrainingOptions.Momentum"/>,
    /// the proximal gradient joins the batch's before the velocity, as in PyTorch where it is part of
    /// the loss. Cancellation is checked before every batch; if it fires, the parameters keep the
    /// steps already taken. An empty dataset leaves the parameters untouched and reports zero loss,
    /// samples and steps.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TrainingReport Train(
        ModelArchitecture architecture,
        float[] parameters,
        Dataset data,
        TrainingOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(parameters);
        ModelMath.ValidateParameters(architecture, parameters.Length, nameof(parameters));
        ModelMath.ValidateData(architecture, data, nameof(data));
        ValidateOptions(options);

        var count = data.Count;
        if (count == 0)
        {
            return new TrainingReport(0, 0, 0);
        }

        var network = architecture.Kind.CreateNetwork(architecture, options.Threads);
        var gradient = new float[architecture.ParameterCount];
        var proximal = options.ProximalMu > 0 ? new ProximalTerm(parameters, options.ProximalMu) : null;
        var velocity = options.Momentum > 0 ? new float[architecture.ParameterCount] : null;
        var order = new int[count];
        var random = new Random(options.Seed);
        var steps = 0;
        var epochLoss = 0.0;

        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            // Restart from the identity each epoch so the order depends only on the seed and the epoch.
            for (var i = 0; i < count; i++)
            {
                order[i] = i;
            }

            random.Shuffle(order);
            epochLoss = 0.0;
            for (var start = 0; start < count; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var samples = Math.Min(options.BatchSize, count - start);
                epochLoss += network.BatchGradient(parameters, data, order.AsSpan(start, samples), gradient);
                if (velocity is null)
                {
                    // w ← w − lr·(G/n + mu·(w − w₀)), G the batch's summed gradient.
                    proximal?.AddGradient(parameters, -options.LearningRate, parameters);
                    TensorPrimitives.MultiplyAdd(gradient, -options.LearningRate / samples, parameters, parameters);
                }
                else
                {
                    MomentumStep(parameters, velocity, gradient, 1f / samples, options, proximal?.Anchor);
                }

                steps++;
            }
        }

        return new TrainingReport(epochLoss / count, count, steps);
    }

    private static void ValidateOptions(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Epochs <= 0)
        {
            throw new ArgumentException($"Epochs must be positive; got {options.Epochs}.", nameof(options));
        }

        if (options.BatchSize <= 0)
        {
            throw new ArgumentException($"BatchSize must be positive; got {options.BatchSize}.", nameof(options));
        }

        if (!float.IsFinite(options.LearningRate) || options.LearningRate <= 0)
        {
            throw new ArgumentException($"LearningRate must be positive and finite; got {options.LearningRate}.", nameof(options));
        }

        if (!float.IsFinite(options.ProximalMu) || options.ProximalMu < 0)
        {
            throw new ArgumentException($"ProximalMu must be zero or positive and finite; got {options.ProximalMu}.", nameof(options));
        }

        if (!float.IsFinite(options.Momentum) || options.Momentum < 0 || options.Momentum >= 1)
        {
            throw new ArgumentException($"Momentum must be in [0, 1); got {options.Momentum}.", nameof(options));
        }

        if (options.Threads <= 0)
        {
            throw new ArgumentException($"Threads must be positive; got {options.Threads}.", nameof(options));
        }
    }

    /// <summary>
    /// One step of PyTorch's SGD with momentum: g = scale·G + mu·(w − w₀) (FedProx's part only with an
    /// anchor w₀), v ← momentum·v + g, w ← w − lr·v, in one pass over the vectors. A batched kind's
    /// step is memory-bound next to its batch, so separate passes per operation would cost it
    /// throughput. Plain vector arithmetic, no fused multiply-add, so the result does not depend on
    /// the vector width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MomentumStep(float[] parameters, float[] velocity, float[] gradient, float scale, TrainingOptions options, float[]? anchor)
    {
        var (momentum, learningRate) = (options.Momentum, options.LearningRate);

        // Without FedProx the anchor is w itself and mu is 0, which adds exactly 0.
        var mu = anchor is null ? 0f : options.ProximalMu;
        anchor ??= parameters;
        var w = parameters.AsSpan();
        var v = velocity.AsSpan(0, w.Length);
        var g = gradient.AsSpan(0, w.Length);
        var a = anchor.AsSpan(0, w.Length);
        var i = 0;
        for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var wi = new Vector<float>(w[i..]);
            var gi = (new Vector<float>(g[i..]) * scale) + ((wi - new Vector<float>(a[i..])) * mu);
            var vi = (new Vector<float>(v[i..]) * momentum) + gi;
            vi.CopyTo(v[i..]);
            (wi - (vi * learningRate)).CopyTo(w[i..]);
        }

        for (; i < w.Length; i++)
        {
            var gi = (g[i] * scale) + ((w[i] - a[i]) * mu);
            v[i] = (v[i] * momentum) + gi;
            w[i] -= v[i] * learningRate;
        }
    }

    /// <summary>FedProx: the gradient of (mu/2)·||w − w₀||² is mu·(w − w₀), w₀ the parameters on entry.</summary>
    private sealed class ProximalTerm(float[] parameters, float mu)
    {
        private readonly float[] _difference = new float[parameters.Length];

        public float[] Anchor { get; } = (float[])parameters.Clone();

        /// <summary>Adds scale·mu·(w − w₀) to <paramref name="target"/>, which may be the parameters themselves.</summary>
        public void AddGradient(float[] parameters, float scale, float[] target)
        {
            TensorPrimitives.Subtract(parameters, Anchor, _difference);
            TensorPrimitives.MultiplyAdd(_difference, scale * mu, target, target);
        }
    }
}
