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
                    // v ← μ·v + G/n + mu·(w − w₀); w ← w − lr·v.
                    TensorPrimitives.Multiply(velocity, options.Momentum, velocity);
                    TensorPrimitives.MultiplyAdd(gradient, 1f / samples, velocity, velocity);
                    proximal?.AddGradient(parameters, 1f, velocity);
                    TensorPrimitives.MultiplyAdd(velocity, -options.LearningRate, parameters, parameters);
                }

                steps++;
            }
        }

        return new TrainingReport(epochLoss / count, count, steps);
    }

    internal static void ValidateOptions(TrainingOptions options)
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

    /// <summary>FedProx: the gradient of (mu/2)·||w − w₀||² is mu·(w − w₀).</summary>
    private sealed class ProximalTerm(float[] parameters, float mu)
    {
        private readonly float[] _anchor = (float[])parameters.Clone();
        private readonly float[] _difference = new float[parameters.Length];

        /// <summary>Adds scale·mu·(w − w₀) to <paramref name="target"/>, which may be the parameters themselves.</summary>
        public void AddGradient(float[] parameters, float scale, float[] target)
        {
            TensorPrimitives.Subtract(parameters, _anchor, _difference);
            TensorPrimitives.MultiplyAdd(_difference, scale * mu, target, target);
        }
    }
}
