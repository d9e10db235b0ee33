namespace FLOps.Learning.Aggregation;

/// <summary>
/// Per-coordinate statistics over n updates: the n values of each coordinate are gathered into
/// a scratch buffer and sorted (n is small, tens to hundreds), so each coordinate costs
/// O(n log n) and the result depends only on the values, not on the updates' order.
/// </summary>
internal static class CoordinateWise
{
    /// <summary>Applies <paramref name="statistic"/> to the sorted values of every coordinate.</summary>
    public static float[] Reduce(IReadOnlyList<BufferedUpdate> updates, Func<ReadOnlySpan<float>, float> statistic)
    {
        var length = updates[0].Parameters.Length;
        var result = new float[length];
        var column = new float[updates.Count];
        for (var d = 0; d < length; d++)
        {
            for (var i = 0; i < column.Length; i++)
            {
                column[i] = updates[i].Parameters[d];
            }

            column.AsSpan().Sort();
            result[d] = statistic(column);
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
