using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace FLOps.Learning.Models;

/// <summary>
/// The maths every kind of classifier shares: affine layers, a stable softmax, cross-entropy and
/// its gradient at the logits, the arg-max, and the checks of parameters and data against an
/// architecture. Shared by the kinds, the trainer and the evaluator, so that what is trained is
/// exactly what is scored.
/// </summary>
internal static class ModelMath
{
    /// <summary>ML.NET clamps probabilities the same way, which keeps our log-loss comparable with its.</summary>
    public const float ProbabilityFloor = 1e-15f;

    public static void ValidateParameters(ModelArchitecture architecture, int parameterLength, string paramName)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (parameterLength != architecture.ParameterCount)
        {
            throw new ArgumentException(
                $"{architecture} has {architecture.ParameterCount} parameters but {parameterLength} were given.",
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

    /// <summary>
    /// Writes the gradient of the cross-entropy at the logits, softmax(logits) − onehot(label), into
    /// <paramref name="delta"/> and returns the sample's cross-entropy.
    /// </summary>
    public static double SoftmaxCrossEntropyDelta(ReadOnlySpan<float> logits, Span<float> delta, int label)
    {
        StableSoftmax(logits, delta);
        var loss = CrossEntropy(delta, label);
        delta[label] -= 1f;
        return loss;
    }

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
