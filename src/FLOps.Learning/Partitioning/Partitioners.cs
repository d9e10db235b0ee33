namespace FLOps.Learning.Partitioning;

/// <summary>Splits a training set over devices: disjoint shards that together cover every sample.</summary>
public interface IPartitioner
{
    /// <summary>Sample indices for each of <paramref name="partCount"/> devices, reproducible from the seed.</summary>
    IReadOnlyList<int[]> Partition(IReadOnlyList<byte> labels, int classCount, int partCount, int seed);
}

public static class PartitionScheme
{
    /// <summary>Parses <c>iid</c> or <c>dirichlet:ALPHA</c> (ALPHA &gt; 0); throws <see cref="FormatException"/> with a reason otherwise.</summary>
    public static IPartitioner Parse(string scheme) => throw new NotImplementedException();
}
