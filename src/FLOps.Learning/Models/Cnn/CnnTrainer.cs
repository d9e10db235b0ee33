using System.Numerics.Tensors;
using FLOps.Learning.Data;
using FLOps.Learning.Training;

namespace FLOps.Learning.Models.Cnn;

/// <param name="Epochs">Passes over the local data.</param>
/// <param name="BatchSize">Samples per SGD step.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Seed">Seeds the shuffling of samples, so that a run is reproducible.</param>
/// <param name="Momentum">Heavy-ball momentum, PyTorch's convention: v ← μ·v + g, w ← w − lr·v; 0 is plain SGD.</param>
/// <param name="ProximalMu">FedProx: weight of (mu/2)·||w − w_global||² added to the local loss; 0 disables it.</param>
/// <param name="Threads">Threads one batch may use (see <see cref="CnnNetwork"/>); 1 by default, for silos training many devices at once.</param>
public sealed record CnnTrainingOptions(
    int Epochs,
    int BatchSize,
    float LearningRate,
    int Seed,
    float Momentum = 0.9f,
    float ProximalMu = 0f,
    int Threads = 1)
{
    /// <summary>The options of the other kinds, plus momentum and threads.</summary>
    public static CnnTrainingOptions From(TrainingOptions options, float momentum = 0.9f, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CnnTrainingOptions(options.Epochs, options.BatchSize, options.LearningRate, options.Seed, momentum, options.ProximalMu, threads);
    }
}

/// <summary>Seeded mini-batch SGD with momentum (and optionally FedProx's proximal term) for <see cref="CnnArchitecture"/>.</summary>
/// <remarks>
/// Shuffling follows <see cref="LocalTrainer"/>: each epoch restarts from the identity order and
/// shuffles it with one <see cref="Random"/> seeded once per call, and the last batch of an epoch
/// may be short. The momentum buffer starts at zero on every call, as a fresh PyTorch optimiser
/// does in each federated round. The same seed, parameters and data give bit-identical results on
/// the same machine, whatever the thread count.
/// </remarks>
public static class CnnTrainer
{
    /// <summary>Trains <paramref name="parameters"/> in place on <paramref name="data"/>.</summary>
    /// <remarks>
    /// Minimises mean cross-entropy, plus (mu/2)·||w − w₀||² when <see cref="CnnTrainingOptions.ProximalMu"/> is
    /// positive, w₀ being the parameters on entry; the proximal gradient mu·(w − w₀) joins the batch
    /// gradient before momentum. Cancellation is checked before every batch; if it fires, the
    /// parameters keep the steps already taken. An empty dataset leaves the parameters untouched.
    /// </remarks>
    /// <returns>The mean loss over the last epoch, the samples (the FedAvg weight) and the steps taken.</returns>
    public static TrainingReport Train(
        CnnArchitecture architecture,
        float[] parameters,
        Dataset data,
        CnnTrainingOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(data);
        architecture.Validate();
        ValidateOptions(options);
        if (parameters.Length != architecture.ParameterCount)
        {
            throw new ArgumentException($"The CNN has {architecture.ParameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        if (data.FeatureCount != architecture.InputCount || data.ClassCount != architecture.ClassCount)
        {
            throw new ArgumentException(
                $"The dataset has {data.FeatureCount} features and {data.ClassCount} classes but the CNN expects {architecture.InputCount} and {architecture.ClassCount}.",
                nameof(data));
        }

        var count = data.Count;
        if (count == 0)
        {
            return new TrainingReport(0, 0, 0);
        }

        var batchSize = Math.Min(options.BatchSize, count);
        var network = new CnnNetwork(architecture, batchSize, options.Threads);
        var inputs = architecture.InputCount;
        var features = new float[batchSize * inputs];
        var labels = new byte[batchSize];
        var gradient = new float[parameters.Length];
        var velocity = new float[parameters.Length];
        var anchor = options.ProximalMu > 0 ? (float[])parameters.Clone() : null;
        var order = new int[count];
        var random = new Random(options.Seed);
        var steps = 0;
        var epochLoss = 0.0;

        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            for (var i = 0; i < count; i++)
            {
                order[i] = i;
            }

            random.Shuffle(order);
            epochLoss = 0.0;
            for (var start = 0; start < count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = Math.Min(batchSize, count - start);
                for (var k = 0; k < n; k++)
                {
                    var index = order[start + k];
                    data.Row(index).CopyTo(features.AsSpan(k * inputs, inputs));
                    labels[k] = data.Labels[index];
                }

                epochLoss += n * network.LossAndGradient(parameters, features.AsSpan(0, n * inputs), labels.AsSpan(0, n), gradient);
                if (anchor is not null)
                {
                    // g += mu·(w − w₀), as two fused passes that need no scratch buffer.
                    TensorPrimitives.MultiplyAdd(parameters, options.ProximalMu, gradient, gradient);
                    TensorPrimitives.MultiplyAdd(anchor, -options.ProximalMu, gradient, gradient);
                }

                // v ← μ·v + g; w ← w − lr·v.
                TensorPrimitives.MultiplyAdd(velocity, options.Momentum, gradient, velocity);
                TensorPrimitives.MultiplyAdd(velocity, -options.LearningRate, parameters, parameters);
                steps++;
            }
        }

        return new TrainingReport(epochLoss / count, count, steps);
    }

    private static void ValidateOptions(CnnTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        LocalTrainer.ValidateOptions(new TrainingOptions(options.Epochs, options.BatchSize, options.LearningRate, options.Seed, options.ProximalMu));
        if (!float.IsFinite(options.Momentum) || options.Momentum < 0 || options.Momentum >= 1)
        {
            throw new ArgumentException($"Momentum must be in [0, 1); got {options.Momentum}.", nameof(options));
        }

        if (options.Threads <= 0)
        {
            throw new ArgumentException($"Threads must be positive; got {options.Threads}.", nameof(options));
        }
    }
}
