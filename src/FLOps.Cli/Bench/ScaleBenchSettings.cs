namespace FLOps.Cli.Bench;

/// <summary>What <c>flops bench scale</c> runs: N simulated devices, or N registered ones when <see cref="Registered"/> is set.</summary>
public sealed record ScaleBenchSettings
{
    public int Devices { get; init; } = 10_000;

    public int Rounds { get; init; } = 3;

    public int Seed { get; init; } = 42;

    public int RoundTimeoutSeconds { get; init; } = 600;

    /// <summary>The fraction of the devices each round selects (the spec's <c>fractionFit</c>).</summary>
    public double Fraction { get; init; } = 1.0;

    /// <summary>Silos in this process; devices spread over them.</summary>
    public int Silos { get; init; } = 1;

    /// <summary>
    /// Devices registered through the tenant, as real devices are, into its device directory; the
    /// project then trains on them (no simulation). 0: the project simulates <see cref="Devices"/>.
    /// </summary>
    public int Registered { get; init; }

    public bool Json { get; init; }

    public bool Verbose { get; init; }

    /// <summary>The devices the project may select from.</summary>
    public int Pool => Registered > 0 ? Registered : Devices;
}
