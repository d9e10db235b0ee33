using FLOps.Abstractions.Devices;

namespace FLOps.Grains.Devices;

/// <summary>
/// How uneven a simulated fleet is, decided from the project's seed alone so that a run can be
/// repeated: how much slower than the fastest each device computes (<c>simulation.speedSpread</c>)
/// and which tasks a device abandons (<c>simulation.dropoutRate</c>). The device grain only applies
/// these answers; sync rounds and async training read the same ones, so the two modes can be
/// compared on the same fleet.
/// </summary>
public static class SimulatedHeterogeneity
{
    /// <summary>
    /// The compute one sample of one local epoch costs a device of speed factor 1, on top of the
    /// real training. Simulated devices really train in micro- to milliseconds, which no deadline
    /// would notice, so a device of factor f also waits (f − 1) × this per sample and epoch: with
    /// <c>flops demo</c>'s 10 devices (800 MNIST digits each) and a spread of 10, the slowest
    /// waits 9 × 800 × 0.25 ms = 1.8 s a round, so 10 rounds take about 20 s longer than without
    /// the spread. The fastest device (factor 1) waits nothing: a spread of 1 changes no timing.
    /// </summary>
    public static readonly TimeSpan NominalSampleTime = TimeSpan.FromTicks(2_500); // 0.25 ms

    /// <summary>Salts that keep the speed order and the dropout draws independent of each other and of training's seeds.</summary>
    private const ulong SpeedSalt = 0x5EED_5BEE_D000_0001;
    private const ulong DropoutSalt = 0xD80B_0A7E_0000_0002;

    /// <summary>
    /// Device <paramref name="index"/>'s compute factor, between 1 and the fleet's spread: the
    /// factors are evenly spaced (the fastest device 1, the slowest exactly the spread) and dealt
    /// to the devices in an order drawn from the seed, so every cluster and every sample of the
    /// fleet gets fast and slow devices alike. A spread of 1 or less (older plans carry 0) is none.
    /// </summary>
    public static double SpeedFactor(SimulatedFleet fleet, int index)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, fleet.Count);
        if (!(fleet.SpeedSpread > 1) || fleet.Count == 1)
        {
            return 1;
        }

        return 1 + ((fleet.SpeedSpread - 1) * SpeedRank(fleet.Seed, index, fleet.Count) / (fleet.Count - 1));
    }

    /// <summary>
    /// How long a device of <paramref name="factor"/> computes beyond its real training time for
    /// <paramref name="samples"/> samples over <paramref name="epochs"/> local epochs.
    /// </summary>
    public static TimeSpan ExtraComputeTime(double factor, long samples, int epochs) =>
        factor > 1 && samples > 0 && epochs > 0 ? NominalSampleTime * ((factor - 1) * samples * epochs) : TimeSpan.Zero;

    /// <summary>
    /// Whether device <paramref name="index"/> abandons the task named by <paramref name="task"/>
    /// (any number that names it reproducibly: a sync round passes its round's seed, which follows
    /// the project's seed, the round and its attempt). Each task is abandoned with probability
    /// <c>dropoutRate</c>, independently of the others.
    /// </summary>
    public static bool Abandons(SimulatedFleet fleet, int index, long task)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        return fleet.DropoutRate > 0
            && Uniform(Hash(DropoutSalt, fleet.Seed, index, task)) < fleet.DropoutRate;
    }

    /// <summary>
    /// Device <paramref name="index"/>'s place, 0 to <paramref name="count"/> − 1, in a seeded
    /// shuffle of the fleet: an affine permutation (a·i + b mod n with a prime to n), which needs no
    /// table, so a device of a hundred thousand learns its place in constant time.
    /// </summary>
    private static long SpeedRank(int seed, int index, int count)
    {
        var n = (ulong)count;
        var a = (Hash(SpeedSalt, seed, 0, 0) % n) | 1;
        while (Gcd(a, n) != 1)
        {
            a = (a + 1) % n;
        }

        var b = Hash(SpeedSalt, seed, 1, 0) % n;
        return (long)((((a * (ulong)index) % n) + b) % n);
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static ulong Hash(ulong salt, int seed, long a, long b) =>
        Mix(Mix(Mix(salt ^ (uint)seed) ^ (ulong)a) ^ (ulong)b);

    /// <summary>SplitMix64's finaliser: every input bit moves every output bit.</summary>
    private static ulong Mix(ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15;
        x = (x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9;
        x = (x ^ (x >> 27)) * 0x94D0_49BB_1331_11EB;
        return x ^ (x >> 31);
    }

    /// <summary>The top 53 bits as a double in [0, 1).</summary>
    private static double Uniform(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));
}
