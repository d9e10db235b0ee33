using System.Globalization;

namespace FLOps.Learning.Partitioning;

/// <summary>
/// Non-IID shards in the usual federated-learning benchmark style: each class is spread over
/// the parts in proportions drawn from Dirichlet(alpha). Small alpha gives each device few
/// classes; large alpha approaches IID.
/// </summary>
public sealed class DirichletPartitioner : IPartitioner
{
    public const string SchemeName = "dirichlet";

    /// <summary>Redraws allowed before falling back to topping up small parts.</summary>
    public const int MaxAttempts = 100;

    /// <summary>A part is considered usable once it has this many samples (or n/parts, if smaller).</summary>
    public const int MinPartSize = 10;

    public DirichletPartitioner(double alpha)
    {
        if (!(alpha > 0) || !double.IsFinite(alpha))
        {
            throw new ArgumentException($"Dirichlet alpha must be finite and > 0; got {alpha}.", nameof(alpha));
        }

        Alpha = alpha;
    }

    public double Alpha { get; }

    /// <summary>The canonical text for <see cref="PartitionScheme.Parse"/>, e.g. <c>dirichlet:0.5</c>.</summary>
    public string Scheme => $"{SchemeName}:{Alpha.ToString("R", CultureInfo.InvariantCulture)}";

    /// <remarks>
    /// Draws are repeated with derived seeds until every part has at least
    /// min(<see cref="MinPartSize"/>, n/parts) samples. If <see cref="MaxAttempts"/> draws all
    /// fail, the draw whose smallest part is largest is kept and topped up with samples taken
    /// from the largest part. Indices within a part are ascending.
    /// </remarks>
    public IReadOnlyList<int[]> Partition(IReadOnlyList<byte> labels, int classCount, int partCount, int seed)
    {
        PartitionArguments.Validate(labels, classCount, partCount);
        var byClass = GroupByClass(labels, classCount);
        var minSize = Math.Min(MinPartSize, labels.Count / partCount);

        List<int>[]? best = null;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var random = new Random(attempt == 0 ? seed : PartitionArguments.DeriveSeed(seed, attempt));
            var parts = Draw(byClass, partCount, random);
            var smallest = parts.Min(p => p.Count);
            if (smallest >= minSize)
            {
                return Finish(parts);
            }

            if (best is null || smallest > best.Min(p => p.Count))
            {
                best = parts;
            }
        }

        TopUp(best!, minSize);
        return Finish(best!);
    }

    public override string ToString() => Scheme;

    private List<int>[] Draw(List<int>[] byClass, int partCount, Random random)
    {
        var parts = new List<int>[partCount];
        for (var p = 0; p < partCount; p++)
        {
            parts[p] = [];
        }

        var proportions = new double[partCount];
        foreach (var members in byClass)
        {
            var shuffled = members.ToArray();
            random.Shuffle(shuffled);
            GammaSampler.SampleSymmetricDirichlet(random, Alpha, proportions);

            // Cut at rounded cumulative proportions: monotone, and the last cut is exactly the class size.
            var cumulative = 0.0;
            var start = 0;
            for (var p = 0; p < partCount; p++)
            {
                cumulative += proportions[p];
                var end = p == partCount - 1 ? shuffled.Length : Math.Min(shuffled.Length, (int)Math.Round(cumulative * shuffled.Length));
                end = Math.Max(end, start);
                parts[p].AddRange(shuffled.AsSpan(start, end - start));
                start = end;
            }
        }

        return parts;
    }

    /// <summary>
    /// Moves samples from the currently largest part into parts below <paramref name="minSize"/>.
    /// Always terminates: minSize ≤ n/parts, so while any part is short the largest has spare.
    /// </summary>
    private static void TopUp(List<int>[] parts, int minSize)
    {
        while (true)
        {
            var shortest = 0;
            var largest = 0;
            for (var p = 1; p < parts.Length; p++)
            {
                if (parts[p].Count < parts[shortest].Count)
                {
                    shortest = p;
                }

                if (parts[p].Count > parts[largest].Count)
                {
                    largest = p;
                }
            }

            if (parts[shortest].Count >= minSize)
            {
                return;
            }

            var donor = parts[largest];
            parts[shortest].Add(donor[^1]);
            donor.RemoveAt(donor.Count - 1);
        }
    }

    private static List<int>[] GroupByClass(IReadOnlyList<byte> labels, int classCount)
    {
        var byClass = new List<int>[classCount];
        for (var c = 0; c < classCount; c++)
        {
            byClass[c] = [];
        }

        for (var i = 0; i < labels.Count; i++)
        {
            byClass[labels[i]].Add(i);
        }

        return byClass;
    }

    private static int[][] Finish(List<int>[] parts)
    {
        var result = new int[parts.Length][];
        for (var p = 0; p < parts.Length; p++)
        {
            result[p] = [.. parts[p]];
            Array.Sort(result[p]);
        }

        return result;
    }
}
