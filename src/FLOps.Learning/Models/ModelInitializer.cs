namespace FLOps.Learning.Models;

public static class ModelInitializer
{
    /// <summary>Fresh parameters for the architecture, reproducible from the seed.</summary>
    public static float[] Create(ModelArchitecture architecture, int seed) => throw new NotImplementedException();
}
