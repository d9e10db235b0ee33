namespace FLOps.Learning.Models;

public static class ModelInitializer
{
    /// <summary>Fresh parameters for the architecture, reproducible from the seed.</summary>
    /// <remarks>
    /// Softmax regression is convex, so zeros are a fine start and make the first predictions
    /// uniform. An MLP needs random weights to break the symmetry between hidden units:
    /// He-uniform for the ReLU layer, Xavier-uniform for the output layer, zero biases.
    /// </remarks>
    public static float[] Create(ModelArchitecture architecture, int seed)
    {
        ModelMath.ValidateArchitecture(architecture);
        var parameters = new float[architecture.ParameterCount];
        if (architecture.Kind == ModelKind.Softmax)
        {
            return parameters;
        }

        var inputs = architecture.InputCount;
        var hidden = architecture.HiddenCount;
        var classes = architecture.ClassCount;
        var random = new Random(seed);

        var w1 = parameters.AsSpan(0, hidden * inputs);
        FillUniform(w1, Math.Sqrt(6.0 / inputs), random);

        var w2 = parameters.AsSpan((hidden * inputs) + hidden, classes * hidden);
        FillUniform(w2, Math.Sqrt(6.0 / (hidden + classes)), random);

        return parameters;
    }

    private static void FillUniform(Span<float> destination, double limit, Random random)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(((random.NextDouble() * 2.0) - 1.0) * limit);
        }
    }
}
