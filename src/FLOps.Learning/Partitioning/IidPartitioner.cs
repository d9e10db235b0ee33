namespace FLOps.Learning.Partitioning;

/// <summary>A seeded shuffle cut into nearly equal contiguous chunks: every device sees the global label mix.</summary>
public sealed class IidPartitioner : IPartitioner
{
    public const string SchemeName = "iid";

    /// <summary>The canonical text for <see cref="PartitionScheme.Parse"/>.</summary>
    public string Scheme => SchemeName;

    /// <remarks>Part sizes differ by at most one; the first <c>n mod partCount</c> parts get the extra sample. Indices within a part are ascending.</remarks>
    public IReadOnlyList<int[]> Partition(IReadOnlyList<byte> labels, int classCount, int partCount, int seed)
    {
        PartitionArguments.Validate(labels, classCount, partCount);
        var count = labels.Count;
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        new Random(seed).Shuffle(order);

        var parts = new int[partCount][];
        var baseSize = count / partCount;
        var remainder = count % partCount;
        var start = 0;
        for (var p = 0; p < partCount; p++)
        {
            var size = baseSize + (p < remainder ? 1 : 0);
            parts[p] = order[start..(start + size)];
            Array.Sort(parts[p]);
            start += size;
        }

        return parts;
    }

    public override string ToString() => Scheme;
}
