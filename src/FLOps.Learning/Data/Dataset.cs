namespace FLOps.Learning.Data;

/// <summary>
/// A labelled dataset held as one dense row-major feature matrix, so that trainers and
/// evaluators can take spans of whole mini-batches without copying.
/// </summary>
public sealed class Dataset
{
    public Dataset(float[] features, byte[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (features.Length != labels.Length * featureCount)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} rows of {featureCount} features ({labels.Length * featureCount} floats) but got {features.Length}.",
                nameof(features));
        }

        foreach (var label in labels)
        {
            if (label >= classCount)
            {
                throw new ArgumentException($"Label {label} is outside the {classCount} classes.", nameof(labels));
            }
        }

        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Row-major features: row <c>i</c> is <c>Features[i*FeatureCount .. (i+1)*FeatureCount]</c>.</summary>
    public float[] Features { get; }

    public byte[] Labels { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>Copies the given rows, in the given order, into a new dataset.</summary>
    public Dataset Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var features = new float[indices.Count * FeatureCount];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[indices[i]];
        }

        return new Dataset(features, labels, FeatureCount, ClassCount);
    }
}
