using FLOps.Learning.Data;

namespace FLOps.Learner.Tests;

/// <summary>The device's data in these tests: 8 samples of 4 features, 2 classes.</summary>
public static class TinyData
{
    public const int Features = 4;
    public const int Classes = 2;
    public const int Samples = 8;

    /// <summary>A softmax 4→2 has 4·2 + 2 parameters.</summary>
    public const int SoftmaxParameterCount = (Features * Classes) + Classes;

    public static Dataset Create()
    {
        var features = new float[Samples * Features];
        var labels = new byte[Samples];
        for (var i = 0; i < Samples; i++)
        {
            labels[i] = (byte)(i % Classes);
            for (var j = 0; j < Features; j++)
            {
                features[(i * Features) + j] = labels[i] == 0 ? -1f + (0.1f * j) : 1f - (0.1f * j);
            }
        }

        return new Dataset(features, labels, Features, Classes);
    }
}
