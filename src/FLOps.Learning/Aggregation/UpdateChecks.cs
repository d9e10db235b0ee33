using System.Numerics.Tensors;

namespace FLOps.Learning.Aggregation;

/// <summary>What every aggregation round refuses, whether it streams or buffers its updates.</summary>
internal static class UpdateChecks
{
    public static void ThrowIfInvalid(ReadOnlySpan<float> parameters, int parameterCount, long sampleCount)
    {
        if (parameters.Length != parameterCount)
        {
            throw new ArgumentException(
                $"The update has {parameters.Length} parameters but the global model has {parameterCount}.", nameof(parameters));
        }

        if (sampleCount <= 0)
        {
            throw new ArgumentException($"An update must be trained on at least one sample; got {sampleCount}.", nameof(sampleCount));
        }

        // One NaN or infinity would silently poison every later global model.
        if (!TensorPrimitives.IsFiniteAll(parameters))
        {
            throw new ArgumentException("The update contains NaN or infinite parameters.", nameof(parameters));
        }
    }
}
