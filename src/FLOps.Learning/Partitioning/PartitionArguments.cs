namespace FLOps.Learning.Partitioning;

internal static class PartitionArguments
{
    public static void Validate(IReadOnlyList<byte> labels, int classCount, int partCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 1)
        {
            throw new ArgumentException($"Need at least one class; got {classCount}.", nameof(classCount));
        }

        if (partCount < 1)
        {
            throw new ArgumentException($"Need at least one part; got {partCount}.", nameof(partCount));
        }

        if (partCount > labels.Count)
        {
            throw new ArgumentException(
                $"Cannot give each of {partCount} parts a sample when there are only {labels.Count} samples.", nameof(partCount));
        }

        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new ArgumentException($"Label {labels[i]} at index {i} is outside the {classCount} classes.", nameof(labels));
            }
        }
    }

    /// <summary>
    /// A deterministic seed for a numbered sub-stream. Not <see cref="HashCode"/>, which is
    /// randomised per process and would break reproducibility across runs.
    /// </summary>
    public static int DeriveSeed(int seed, int stream) => unchecked((seed * 486_187_739) + (stream * 16_777_619) + 0x5bd1e995);
}
