namespace FLOps.Learning.Models;

public static class ModelInitializer
{
    /// <summary>Fresh parameters for the architecture, reproducible from the seed; how they start is its kind's choice.</summary>
    public static float[] Create(ModelArchitecture architecture, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var parameters = new float[architecture.ParameterCount];
        architecture.Kind.Initialize(architecture, parameters, seed);
        return parameters;
    }
}
