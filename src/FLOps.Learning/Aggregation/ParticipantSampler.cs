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

        // Partial Fisher–Yates: the first `count` slots become a uniform sample without replacement.
        var random = new Random(unchecked((selection.Seed * 7919) + selection.Round));
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, candidates.Length);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
        }

        var chosen = candidates[..count];
        Array.Sort(chosen, StringComparer.Ordinal);
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
