using System.Runtime.CompilerServices;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Evaluation;

/// <param name="Accuracy">Fraction of samples whose most probable class is the label.</param>
/// <param name="LogLoss">Mean negative log-probability of the label (natural log).</param>
/// <param name="Count">Samples evaluated.</param>
public sealed record EvaluationResult(double Accuracy, double LogLoss, int Count);

public static class ModelEvaluator
{
    /// <summary>
    /// Samples per <see cref="ModelNetwork.BatchLogits"/> call: enough for a batched kind to amortise
    /// what a call costs it (copying the parameters, starting its kernels), few enough that the
    /// logits of one chunk stay small.
    /// </summary>
    private const int Chunk = 256;

    /// <summary>
    /// Accuracy (argmax, ties to the lowest class) and log-loss with probabilities clamped to
    /// at least 1e-15, as ML.NET reports them. An empty dataset yields zeros with a count of 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EvaluationResult Evaluate(ModelArchitecture architecture, ReadOnlySpan<float> parameters, Dataset data)
    {
        ModelMath.ValidateParameters(architecture, parameters.Length, nameof(parameters));
        ModelMath.ValidateData(architecture, data, nameof(data));
        if (data.Count == 0)
        {
            return new EvaluationResult(0, 0, 0);
        }

        var network = architecture.Kind.CreateNetwork(architecture);
        var classes = architecture.ClassCount;
        var inputs = architecture.InputCount;
        var logits = new float[Math.Min(Chunk, data.Count) * classes];
        var probabilities = new float[classes];
        var correct = 0;
        var loss = 0.0;
        for (var start = 0; start < data.Count; start += Chunk)
        {
            var samples = Math.Min(Chunk, data.Count - start);
            network.BatchLogits(parameters, data.Features.AsSpan(start * inputs, samples * inputs), logits.AsSpan(0, samples * classes));
            for (var i = 0; i < samples; i++)
            {
                ModelMath.StableSoftmax(logits.AsSpan(i * classes, classes), probabilities);
                var label = data.Labels[start + i];
                if (ModelMath.ArgMax(probabilities) == label)
                {
                    correct++;
                }

                loss += ModelMath.CrossEntropy(probabilities, label);
            }
        }

        return new EvaluationResult((double)correct / data.Count, loss / data.Count, data.Count);
    }

    /// <summary>Writes the class probabilities of one sample and returns the most probable class.</summary>
    /// <remarks><paramref name="probabilities"/> may be longer than the class count; only the first ClassCount entries are written.</remarks>
    public static int Predict(ModelArchitecture architecture, ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> probabilities)
    {
        ModelMath.ValidateParameters(architecture, parameters.Length, nameof(parameters));
        if (features.Length != architecture.InputCount)
        {
            throw new ArgumentException($"Expected {architecture.InputCount} features but got {features.Length}.", nameof(features));
        }

        var classes = architecture.ClassCount;
        if (probabilities.Length < classes)
        {
            throw new ArgumentException($"Need room for {classes} probabilities but got {probabilities.Length}.", nameof(probabilities));
        }

        var output = probabilities[..classes];
        architecture.Kind.CreateNetwork(architecture).Logits(parameters, features, output);
        ModelMath.StableSoftmax(output, output);
        return ModelMath.ArgMax(output);
    }
}
