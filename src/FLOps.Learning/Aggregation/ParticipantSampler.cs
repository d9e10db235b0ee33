namespace FLOps.Learning.Aggregation;

/// <summary>
/// Flower-style client sampling shared by every strategy: how many clients a round needs, and
/// a reproducible choice of which ones.
/// </summary>
public static class ParticipantSampler
{
    /// <summary>
    /// Clients to ask: max(MinFitClients, ⌈FractionFit·available⌉), capped at what is available.
    /// A hair of tolerance keeps products like 0.1·30 = 3.0000000000000004 from rounding up to 4.
    /// </summary>
    public static int TargetCount(int availableCount, ParticipantSelection selection)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(availableCount);
        Validate(selection);
        var byFraction = (int)Math.Ceiling((selection.FractionFit * availableCount) - 1e-9);
        return Math.Clamp(Math.Max(selection.MinFitClients, byFraction), 0, availableCount);
    }

    /// <summary>
    /// Picks <see cref="TargetCount"/> distinct clients. The input is de-duplicated and sorted
    /// ordinally first, so the choice depends only on the set of ids, the seed and the round,
    /// never on the order the ids arrived in. The result is sorted ordinally.
    /// </summary>
    public static IReadOnlyList<string> Select(IReadOnlyList<string> availableClients, ParticipantSelection selection)
    {
        ArgumentNullException.ThrowIfNull(availableClients);
        Validate(selection);
        var candidates = availableClients.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(candidates, StringComparer.Ordinal);
        var count = TargetCount(candidates.Length, selection);
        if (count == candidates.Length)
        {
            return candidates;
        }

        var positions = SelectIndexes(candidates.Length, selection);
        var chosen = new string[positions.Length];
        for (var i = 0; i < chosen.Length; i++)
        {
            chosen[i] = candidates[positions[i]];
        }

        Array.Sort(chosen, StringComparer.Ordinal);
        return chosen;
    }

    /// <summary>
    /// Picks <see cref="TargetCount"/> distinct positions of <c>0 … availableCount − 1</c>,
    /// ascending: the positions <see cref="Select"/> picks in the sorted ids, so that a pool known
    /// only by its size (simulated devices, a sharded directory) is sampled the same way as a list.
    /// Time and memory follow the sample, not the pool: a million devices cost nothing to skip.
    /// </summary>
    public static int[] SelectIndexes(int availableCount, ParticipantSelection selection)
    {
        var count = TargetCount(availableCount, selection);
        if (count == availableCount)
        {
            return [.. Enumerable.Range(0, count)];
        }

        // Partial Fisher–Yates: the first `count` slots become a uniform sample without replacement.
        // Only the slots a swap touched differ from the identity, so only they are kept.
        var random = new Random(unchecked((selection.Seed * 7919) + selection.Round));
        var swapped = new Dictionary<int, int>(count * 2);
        var chosen = new int[count];
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, availableCount);
            var atJ = swapped.GetValueOrDefault(j, j);
            swapped[j] = swapped.GetValueOrDefault(i, i);
            chosen[i] = atJ;
        }

        Array.Sort(chosen);
        return chosen;
    }

    private static void Validate(ParticipantSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (!(selection.FractionFit >= 0 && selection.FractionFit <= 1))
        {
            throw new ArgumentException($"FractionFit must lie in [0, 1]; got {selection.FractionFit}.", nameof(selection));
        }

        if (selection.MinFitClients < 0)
        {
            throw new ArgumentException($"MinFitClients cannot be negative; got {selection.MinFitClients}.", nameof(selection));
        }
    }
}
