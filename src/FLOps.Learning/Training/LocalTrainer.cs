using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FLOps.Learning.Data;
using FLOps.Learning.Models;

namespace FLOps.Learning.Training;

/// <summary>Seeded mini-batch SGD for the architectures of <see cref="ModelArchitecture"/>.</summary>
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
    /// is positive, where w₀ are the parameters on entry (FedProx). Cancellation is checked before
    /// every batch; if it fires, the parameters keep the steps already taken. An empty dataset
    /// leaves the parameters untouched and reports zero loss, samples and steps.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TrainingReport Train(
        ModelArchitecture architecture,
        float[] parameters,
        Dataset data,
        TrainingOptions options,
        CancellationToken cancellationToken = default)
    {
        ModelMath.ValidateArchitecture(architecture);
        ArgumentNullException.ThrowIfNull(parameters);
        ModelMath.ValidateParameters(architecture, parameters.Length, nameof(parameters));
        ModelMath.ValidateData(architecture, data, nameof(data));
        ValidateOptions(options);

        var count = data.Count;
        if (count == 0)
        {
            return new TrainingReport(0, 0, 0);
        }

        var scratch = new Scratch(architecture);
        var proximal = options.ProximalMu > 0 ? new ProximalTerm(parameters, options.ProximalMu) : null;
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
                var end = Math.Min(start + options.BatchSize, count);
                Array.Clear(scratch.Gradient);
                for (var k = start; k < end; k++)
                {
                    var index = order[k];
                    epochLoss += architecture.Kind == ModelKind.Softmax
                        ? AccumulateSoftmax(architecture, parameters, data.Row(index), data.Labels[index], scratch)
                        : AccumulateMlp(architecture, parameters, data.Row(index), data.Labels[index], scratch);
                }

                proximal?.Apply(parameters, options.LearningRate);
                TensorPrimitives.MultiplyAdd(scratch.Gradient, -options.LearningRate / (end - start), parameters, parameters);
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
    }

    /// <summary>Adds one sample's cross-entropy gradient to the batch gradient and returns its loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double AccumulateSoftmax(ModelArchitecture architecture, float[] parameters, ReadOnlySpan<float> x, int label, Scratch scratch)
    {
        var inputs = architecture.InputCount;
        var classes = architecture.ClassCount;
        var weightCount = classes * inputs;

        ModelMath.Logits(architecture, parameters, x, default, scratch.Logits);
        var loss = SoftmaxDelta(scratch, label);

        // dL/dW[c] = (p[c] − y[c])·x, dL/db = p − y.
        var gradient = scratch.Gradient.AsSpan();
        var delta = scratch.Probabilities;
        for (var c = 0; c < classes; c++)
        {
            var row = gradient.Slice(c * inputs, inputs);
            TensorPrimitives.MultiplyAdd(x, delta[c], row, row);
        }

        var biasGradient = gradient.Slice(weightCount, classes);
        TensorPrimitives.Add(biasGradient, delta, biasGradient);
        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double AccumulateMlp(ModelArchitecture architecture, float[] parameters, ReadOnlySpan<float> x, int label, Scratch scratch)
    {
        var inputs = architecture.InputCount;
        var classes = architecture.ClassCount;
        var hiddenCount = architecture.HiddenCount;
        var w2Offset = (hiddenCount * inputs) + hiddenCount;
        var b2Offset = w2Offset + (classes * hiddenCount);

        var hidden = scratch.Hidden;
        ModelMath.Logits(architecture, parameters, x, hidden, scratch.Logits);
        var loss = SoftmaxDelta(scratch, label);

        var gradient = scratch.Gradient.AsSpan();
        var w2 = parameters.AsSpan(w2Offset, classes * hiddenCount);
        var delta = scratch.Probabilities;
        var hiddenDelta = scratch.HiddenDelta;
        Array.Clear(hiddenDelta);
        for (var c = 0; c < classes; c++)
        {
            var row = gradient.Slice(w2Offset + (c * hiddenCount), hiddenCount);
            TensorPrimitives.MultiplyAdd(hidden, delta[c], row, row);

            // Back-propagate through W2 before it changes: it is only updated after the batch.
            TensorPrimitives.MultiplyAdd(w2.Slice(c * hiddenCount, hiddenCount), delta[c], hiddenDelta, hiddenDelta);
        }

        var b2Gradient = gradient.Slice(b2Offset, classes);
        TensorPrimitives.Add(b2Gradient, delta, b2Gradient);

        var b1Gradient = gradient.Slice(hiddenCount * inputs, hiddenCount);
        for (var h = 0; h < hiddenCount; h++)
        {
            // ReLU passes gradient only where the unit was active; skipping the rest also skips
            // roughly half of the most expensive work, the W1 rank-one update.
            if (hidden[h] <= 0f || hiddenDelta[h] == 0f)
            {
                continue;
            }

            var row = gradient.Slice(h * inputs, inputs);
            TensorPrimitives.MultiplyAdd(x, hiddenDelta[h], row, row);
            b1Gradient[h] += hiddenDelta[h];
        }

        return loss;
    }

    /// <summary>Turns the logits into probabilities, then into p − onehot(label); returns the sample's loss.</summary>
    private static double SoftmaxDelta(Scratch scratch, int label)
    {
        ModelMath.StableSoftmax(scratch.Logits, scratch.Probabilities);
        var loss = ModelMath.CrossEntropy(scratch.Probabilities, label);
        scratch.Probabilities[label] -= 1f;
        return loss;
    }

    /// <summary>Buffers for one Train call, so the inner loops never allocate.</summary>
    private sealed class Scratch(ModelArchitecture architecture)
    {
        public float[] Gradient { get; } = new float[architecture.ParameterCount];

        public float[] Logits { get; } = new float[architecture.ClassCount];

        public float[] Probabilities { get; } = new float[architecture.ClassCount];

        public float[] Hidden { get; } = new float[ModelMath.HiddenScratchLength(architecture)];

        public float[] HiddenDelta { get; } = new float[ModelMath.HiddenScratchLength(architecture)];
    }

    /// <summary>FedProx: the gradient of (mu/2)·||w − w₀||² is mu·(w − w₀).</summary>
    private sealed class ProximalTerm(float[] parameters, float mu)
    {
        private readonly float[] _anchor = (float[])parameters.Clone();
        private readonly float[] _difference = new float[parameters.Length];

        public void Apply(float[] parameters, float learningRate)
        {
            TensorPrimitives.Subtract(parameters, _anchor, _difference);
            TensorPrimitives.MultiplyAdd(_difference, -learningRate * mu, parameters, parameters);
        }
    }
}
