namespace FLOps.Learning.Models.Cnn;

/// <summary>Runs a few equal parts of a loop on the thread pool, or inline when there is one part.</summary>
internal static class CnnParallel
{
    /// <summary>Calls <paramref name="body"/> for parts 0..parts-1, at most <paramref name="parts"/> at a time; inline for one part.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            body(0);
            return;
        }

        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over <paramref name="count"/> items cut into at most <paramref name="threads"/> contiguous ranges.</summary>
    public static void ForRanges(int count, int threads, Action<int, int> body)
    {
        var parts = Math.Max(1, Math.Min(threads, count));
        if (parts == 1)
        {
            body(0, count);
            return;
        }

        For(parts, part =>
        {
            var (start, end) = Range(count, parts, part);
            body(start, end);
        });
    }

    /// <summary>The <paramref name="part"/>-th of <paramref name="parts"/> nearly equal contiguous ranges of 0..count.</summary>
    public static (int Start, int End) Range(int count, int parts, int part)
    {
        var size = count / parts;
        var remainder = count % parts;
        var start = (part * size) + Math.Min(part, remainder);
        return (start, start + size + (part < remainder ? 1 : 0));
    }
}
