namespace FLOps.Grains.Rounds;

/// <summary>The training loss a round or a cycle reports: its participants' losses weighted by their sample counts.</summary>
internal static class TrainingLosses
{
    /// <summary>
    /// The sample-weighted mean, with weights that sum to one, so that it stays between the smallest
    /// and the largest loss: finite losses whose products with sample counts overflow (a device's
    /// 1e308 with 10⁹ samples) still give a finite mean that the project's JSON view can show.
    /// </summary>
    public static double WeightedMean(IReadOnlyCollection<(double Loss, long Samples)> parts)
    {
        if (parts.Count == 0)
        {
            return 0;
        }

        var total = parts.Sum(p => (double)p.Samples);
        var mean = parts.Sum(p => p.Loss * (p.Samples / total));
        return Math.Clamp(mean, parts.Min(p => p.Loss), parts.Max(p => p.Loss));
    }
}
