namespace FLOps.Learning.Data;

/// <summary>The bundled MNIST digits: 8,000 for training and 2,000 held out for evaluation.</summary>
public static class Mnist
{
    public const int FeatureCount = 784;
    public const int ClassCount = 10;

    /// <summary>Loads the embedded data once per process; later calls return the same datasets.</summary>
    public static MnistSplit Load() => throw new NotImplementedException();
}

public sealed record MnistSplit(Dataset Train, Dataset Test);
