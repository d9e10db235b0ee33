using System.Numerics.Tensors;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// Krum's scores (Blanchard et al., 2017), as Flower's <c>aggregate_krum</c>: the score of an
/// update is the sum of its squared Euclidean distances to its n − f − 2 nearest other updates
/// (at least one). O(n²·D) time.
/// </summary>
internal static class KrumScores
{
    private const int ChunkLength = 4096;

    /// <summary>Throws unless n &gt; 2f + 2, the condition under which Krum tolerates f Byzantine updates.</summary>
    public static void RequireEnough(string strategy, int updateCount, int byzantine)
    {
        if (updateCount <= (2 * byzantine) + 2)
        {
            throw new InvalidOperationException(
                $"{strategy} with f={byzantine} needs more than 2f+2 = {(2 * byzantine) + 2} updates; the round has {updateCount}.");
        }
    }

    public static double[] Compute(IReadOnlyList<BufferedUpdate> updates, int byzantine)
    {
        var n = updates.Count;
        var distances = new double[n, n];
        var difference = new float[ChunkLength];
        var widened = new double[ChunkLength];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                distances[i, j] = distances[j, i] = SquaredDistance(updates[i].Parameters, updates[j].Parameters, difference, widened);
            }
        }

        var nearest = Math.Max(1, n - byzantine - 2);
        var scores = new double[n];
        var others = new double[n - 1];
        for (var i = 0; i < n; i++)
        {
            var k = 0;
            for (var j = 0; j < n; j++)
            {
                if (j != i)
                {
                    others[k++] = distances[i, j];
                }
            }

            Array.Sort(others);
            var score = 0.0;
            foreach (var distance in others.AsSpan(0, Math.Min(nearest, others.Length)))
            {
                score += distance;
            }

            scores[i] = score;
        }

        return scores;
    }

    /// <summary>Indices ordered by score, lowest first; equal scores keep the canonical order of the updates.</summary>
    public static int[] Ranking(double[] scores)
    {
        var indices = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(indices, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        return indices;
    }

    private static double SquaredDistance(float[] x, float[] y, float[] difference, double[] widened)
    {
        var total = 0.0;
        for (var start = 0; start < x.Length; start += ChunkLength)
        {
            var length = Math.Min(ChunkLength, x.Length - start);
            var diff = difference.AsSpan(0, length);
            var wide = widened.AsSpan(0, length);
            TensorPrimitives.Subtract(x.AsSpan(start, length), y.AsSpan(start, length), diff);
            TensorPrimitives.ConvertChecked<float, double>(diff, wide);
            total += TensorPrimitives.SumOfSquares<double>(wide);
        }

        return total;
    }
}
