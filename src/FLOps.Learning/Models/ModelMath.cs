using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace FLOps.Learning.Models;

/// <summary>
/// Forward pass and softmax shared by the trainer and the evaluator, so that what is trained
/// is exactly what is scored.
/// </summary>
internal static class ModelMath
{
    /// <summary>ML.NET clamps probabilities the same way, which keeps our log-loss comparable with its.</summary>
    public const float ProbabilityFloor = 1e-15f;

    public static void ValidateArchitecture(ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (architecture.InputCount <= 0)
        {
            throw new ArgumentException($"A model needs at least one input; got {architecture.InputCount}.", nameof(architecture));
        }

        if (architecture.ClassCount < 2)
        {
            throw new ArgumentException($"A classifier needs at least two classes; got {architecture.ClassCount}.", nameof(architecture));
        }

        if (architecture.Kind == ModelKind.Mlp && architecture.HiddenCount <= 0)
        {
            throw new ArgumentException($"An MLP needs at least one hidden unit; got {architecture.HiddenCount}.", nameof(architecture));
        }

        if (architecture.Kind is not (ModelKind.Softmax or ModelKind.Mlp))
        {
            throw new ArgumentException($"Unknown model kind {architecture.Kind}.", nameof(architecture));
        }
    }

    public static void ValidateParameters(ModelArchitecture architecture, int parameterLength, string paramName)
    {
        if (parameterLength != architecture.ParameterCount)
        {
            throw new ArgumentException(
                $"The {architecture.Kind} model {architecture.InputCount}→{architecture.ClassCount} has {architecture.ParameterCount} parameters but {parameterLength} were given.",
                paramName);
        }
    }

    public static void ValidateData(ModelArchitecture architecture, Data.Dataset data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != architecture.InputCount || data.ClassCount != architecture.ClassCount)
        {
            throw new ArgumentException(
                $"The dataset has {data.FeatureCount} features and {data.ClassCount} classes but the model expects {architecture.InputCount} and {architecture.ClassCount}.",
                paramName);
        }
    }

    /// <summary>Scratch the hidden layer needs; empty for models without one.</summary>
    public static int HiddenScratchLength(ModelArchitecture architecture) =>
        architecture.Kind == ModelKind.Mlp ? architecture.HiddenCount : 0;

    /// <summary>
    /// Computes the logits of one sample. For an MLP, <paramref name="hidden"/> receives the
    /// ReLU activations, which back-propagation needs again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Logits(
        ModelArchitecture architecture,
        ReadOnlySpan<float> parameters,
        ReadOnlySpan<float> features,
        Span<float> hidden,
        Span<float> logits)
    {
        var inputs = architecture.InputCount;
        var classes = architecture.ClassCount;
        if (architecture.Kind == ModelKind.Softmax)
        {
            Affine(parameters[..(classes * inputs)], parameters.Slice(classes * inputs, classes), features, logits);
            return;
        }

        var hiddenCount = architecture.HiddenCount;
        var offset = 0;
        var w1 = parameters.Slice(offset, hiddenCount * inputs);
        offset += w1.Length;
        var b1 = parameters.Slice(offset, hiddenCount);
        offset += hiddenCount;
        var w2 = parameters.Slice(offset, classes * hiddenCount);
        offset += w2.Length;
        var b2 = parameters.Slice(offset, classes);

        Affine(w1, b1, features, hidden);
        TensorPrimitives.Max(hidden, 0f, hidden);
        Affine(w2, b2, hidden, logits);
    }

    /// <summary>output = W·x + b with W row-major [output.Length × x.Length].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> output)
    {
        var width = x.Length;
        for (var row = 0; row < output.Length; row++)
        {
            output[row] = TensorPrimitives.Dot(weights.Slice(row * width, width), x) + bias[row];
        }
    }

    /// <summary>Softmax that subtracts the maximum first, so large logits cannot overflow exp.</summary>
    public static void StableSoftmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        var max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        var sum = TensorPrimitives.Sum(probabilities);
        TensorPrimitives.Divide(probabilities, sum, probabilities);
    }

    public static double CrossEntropy(ReadOnlySpan<float> probabilities, int label) =>
        -Math.Log(Math.Max(probabilities[label], ProbabilityFloor));

    /// <summary>Index of the largest value; ties go to the lowest index so results never depend on SIMD width.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
