namespace FLOps.Learning.Aggregation;

/// <summary>
/// Per-coordinate statistics over n updates: the n values of each coordinate are gathered into
/// a scratch column and sorted (n is small, tens to hundreds), so each coordinate costs
/// O(n log n) and the result depends only on the values, not on the updates' order.
/// </summary>
internal static class CoordinateWise
{
    /// <summary>Coordinates gathered per block: each update is read in contiguous runs of this length.</summary>
    private const int BlockLength = 256;

    /// <summary>Applies <paramref name="statistic"/> to the sorted values of every coordinate.</summary>
    /// <remarks>
    /// Works a block of coordinates at a time: the block is copied out of every update (a
    /// contiguous read), transposed into one column of n values per coordinate, and each column
    /// sorted in place. Scratch memory is one block of n columns.
    /// </remarks>
    public static float[] Reduce(IReadOnlyList<BufferedUpdate> updates, Func<ReadOnlySpan<float>, float> statistic)
    {
        var n = updates.Count;
        var length = updates[0].Parameters.Length;
        var result = new float[length];
        var columns = new float[BlockLength * n];
        for (var start = 0; start < length; start += BlockLength)
        {
            var block = Math.Min(BlockLength, length - start);
            for (var i = 0; i < n; i++)
            {
                var source = updates[i].Parameters.AsSpan(start, block);
                for (var b = 0; b < block; b++)
                {
                    columns[(b * n) + i] = source[b];
                }
            }

            for (var b = 0; b < block; b++)
            {
                var column = columns.AsSpan(b * n, n);
                column.Sort();
                result[start + b] = statistic(column);
            }
        }

        return result;
    }

    /// <summary>Mean of sorted values with <paramref name="cut"/> dropped at each end, in double.</summary>
    public static float TrimmedMean(ReadOnlySpan<float> sorted, int cut)
    {
        var kept = sorted[cut..^cut];
        var sum = 0.0;
        foreach (var value in kept)
        {
            sum += value;
        }

        return (float)(sum / kept.Length);
    }
}
