using FLOps.Learning.Privacy;

namespace FLOps.Learning.Robustness;

/// <summary>Poisoned updates of simulated byzantine devices, to show what robust strategies are for.</summary>
public static class ByzantineAttack
{
    public const string Flip = "flip";
    public const string Noise = "noise";

    /// <summary>The factor by which <see cref="Flip"/> scales an honest update's change.</summary>
    public const float FlipScale = -10f;

    /// <summary>Standard deviation per parameter of <see cref="Noise"/>.</summary>
    public const double NoiseStandardDeviation = 1.0;

    public static IReadOnlyList<string> Names { get; } = [Flip, Noise];

    public static bool IsKnown(string? name) => name is not null && Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Turns the honestly trained <paramref name="parameters"/> into a poisoned update, in place:
    /// <c>flip</c> gives global − 10·(local − global); <c>noise</c> gives global + N(0, 1) per parameter.
    /// </summary>
    public static void Poison(string attack, Span<float> parameters, ReadOnlySpan<float> global, int seed)
    {
        if (parameters.Length != global.Length)
        {
            throw new ArgumentException($"The update has {parameters.Length} parameters, the global model {global.Length}.", nameof(parameters));
        }

        if (string.Equals(attack, Flip, StringComparison.OrdinalIgnoreCase))
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = global[i] + (FlipScale * (parameters[i] - global[i]));
            }
        }
        else if (string.Equals(attack, Noise, StringComparison.OrdinalIgnoreCase))
        {
            var random = new Random(seed);
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = global[i] + (float)(NoiseStandardDeviation * Gaussian.Standard(random));
            }
        }
        else
        {
            throw new ArgumentException($"Unknown byzantine attack '{attack}'; known: {string.Join(", ", Names)}", nameof(attack));
        }
    }
}
