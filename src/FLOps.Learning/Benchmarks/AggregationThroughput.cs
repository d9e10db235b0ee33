using System.Diagnostics;
using System.Numerics.Tensors;
using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Benchmarks;

/// <param name="Updates">Updates per round (N).</param>
/// <param name="Parameters">Parameters per update (D).</param>
/// <param name="Repetitions">Timed runs of each kernel after one warm-up; the best is kept.</param>
/// <param name="Seed">Seeds the update values and sample counts.</param>
public sealed record AggregationThroughputOptions(int Updates = 100, int Parameters = 1_000_000, int Repetitions = 5, int Seed = 42)
{
    /// <summary>Largest N × D accepted: 1 GB of updates, plus 1.5 GB for the triad arrays.</summary>
    public const long MaxElements = 250_000_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option that is out of range.</summary>
    public void Validate()
    {
        if (Updates is < 1 or > 100_000)
        {
            throw new ArgumentException($"updates: must be between 1 and 100000 (got {Updates})");
        }

        if (Parameters is < 1 or > 100_000_000)
        {
            throw new ArgumentException($"parameters: must be between 1 and 100000000 (got {Parameters})");
        }

        if (Repetitions is < 1 or > 1_000)
        {
            throw new ArgumentException($"repetitions: must be between 1 and 1000 (got {Repetitions})");
        }

        if ((long)Updates * Parameters > MaxElements)
        {
            throw new ArgumentException($"updates × parameters: must be at most {MaxElements} (got {(long)Updates * Parameters})");
        }
    }
}

/// <summary>
/// Bandwidths measured in one run, as GB (10⁹ bytes) read per second in the best repetition. The
/// triad's b and c together hold as many bytes as all the updates, so every kernel reads the same
/// bytes and each ratio is the triad's time over the kernel's. (STREAM's own convention also
/// counts the triad's writes: <see cref="TriadStreamGBs"/>.)
/// </summary>
/// <param name="TriadGBs">a[i] = b[i] + s·c[i], single-threaded: bytes of b and c read per second.</param>
/// <param name="StreamingFedavgGBs"><see cref="WeightedMeanRound"/>, one update at a time (what a round does as updates arrive).</param>
/// <param name="FedavgGBs"><see cref="ParallelWeightedMean"/> on one thread: the whole batch, tile by tile.</param>
/// <param name="ParallelFedavgGBs"><see cref="ParallelWeightedMean"/> with one worker per core.</param>
/// <param name="RoundPathGBs">The round grain's own aggregation code, updates added one at a time as they arrive.</param>
public sealed record AggregationThroughputResult(
    int Updates,
    int Parameters,
    int Repetitions,
    int Cores,
    double TriadGBs,
    double StreamingFedavgGBs,
    double FedavgGBs,
    double ParallelFedavgGBs,
    double RoundPathGBs)
{
    /// <summary>The triad as STREAM reports it: reads and writes, 12 bytes per element.</summary>
    public double TriadStreamGBs => TriadGBs * 1.5;

    /// <summary><see cref="FedavgGBs"/> / <see cref="TriadGBs"/>.</summary>
    public double Ratio => FedavgGBs / TriadGBs;

    public double StreamingRatio => StreamingFedavgGBs / TriadGBs;

    public double ParallelRatio => ParallelFedavgGBs / TriadGBs;

    public double RoundPathRatio => RoundPathGBs / TriadGBs;
}

/// <summary>
/// A quick, self-contained measurement of how close FedAvg comes to this machine's memory
/// bandwidth: a STREAM-style triad over as many bytes as the updates, then each FedAvg kernel,
/// interleaved, best of several repetitions after a warm-up. BenchmarkDotNet holds the rigorous
/// figures (tests/FLOps.Benchmarks).
/// </summary>
public static class AggregationThroughput
{
    /// <summary>The kernels whose bandwidth is measured, in the order they run.</summary>
    public static IReadOnlyList<string> KernelNames { get; } = ["triad", "fedavg-streaming", "fedavg", "fedavg-parallel", "round-path"];

    /// <summary>STREAM's triad: <c>a[i] = b[i] + scalar·c[i]</c>.</summary>
    public static void Triad(Span<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, float scalar) =>
        TensorPrimitives.MultiplyAdd(c, scalar, b, a);

    /// <summary>Bytes a triad over arrays of <paramref name="length"/> floats reads (b and c).</summary>
    public static long TriadReadBytes(long length) => 2 * sizeof(float) * length;

    /// <summary>Update bytes FedAvg reads: N × D floats.</summary>
    public static long UpdateBytes(int updates, int parameters) => (long)updates * parameters * sizeof(float);

    /// <summary>Triad length whose two input arrays hold as many bytes as N updates of D floats.</summary>
    public static int TriadLength(int updates, int parameters) => checked((int)(((long)updates * parameters + 1) / 2));

    /// <summary>Reproducible updates with values in [-1, 1) and sample counts in [1, 1000].</summary>
    public static (float[][] Updates, long[] SampleCounts) CreateUpdates(int updates, int parameters, int seed)
    {
        var random = new Random(seed);
        var values = new float[updates][];
        var counts = new long[updates];
        for (var k = 0; k < updates; k++)
        {
            var update = new float[parameters];
            random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(update.AsSpan()));
            for (var i = 0; i < update.Length; i++)
            {
                // Reinterpret random bits as a float in [1, 2), then shift to [-1, 1).
                var bits = (BitConverter.SingleToInt32Bits(update[i]) & 0x007F_FFFF) | 0x3F80_0000;
                update[i] = ((BitConverter.Int32BitsToSingle(bits) - 1f) * 2f) - 1f;
            }

            values[k] = update;
            counts[k] = random.Next(1, 1001);
        }

        return (values, counts);
    }

    /// <summary>Feeds every update to a <see cref="WeightedMeanRound"/> in order and completes it.</summary>
    public static float[] StreamingMean(IReadOnlyList<float[]> updates, IReadOnlyList<long> sampleCounts)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(sampleCounts);
        var round = new WeightedMeanRound(updates[0].Length);
        for (var k = 0; k < updates.Count; k++)
        {
            round.Add(updates[k], sampleCounts[k]);
        }

        return round.Complete();
    }

    /// <summary>
    /// FedAvg's round as a strategy hands it out, fed one update at a time through
    /// <see cref="IAggregationRound.AddRetained"/> (what a round grain does as updates arrive).
    /// </summary>
    public static float[] RoundMean(IReadOnlyList<float[]> updates, IReadOnlyList<long> sampleCounts)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(sampleCounts);
        var round = new FedAvgStrategy().BeginRound(new float[updates[0].Length], round: 1);
        for (var k = 0; k < updates.Count; k++)
        {
            round.AddRetained(updates[k], sampleCounts[k]);
        }

        return round.Complete();
    }

    /// <summary>Runs the measurement; <paramref name="progress"/> hears one line per phase.</summary>
    /// <param name="options">Sizes and repetitions.</param>
    /// <param name="progress">Hears one line per phase.</param>
    /// <param name="roundPath">
    /// The round grain's aggregation, fed the updates one at a time and completed (the caller
    /// that can reach the grain's code passes it); <see cref="RoundMean"/> by default.
    /// </param>
    public static AggregationThroughputResult Measure(
        AggregationThroughputOptions options, Action<string>? progress = null, Func<IReadOnlyList<float[]>, IReadOnlyList<long>, float[]>? roundPath = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        roundPath ??= RoundMean;
        options.Validate();
        progress?.Invoke($"preparing {options.Updates} updates of {options.Parameters:N0} parameters ({UpdateBytes(options.Updates, options.Parameters) / 1e6:N0} MB)");
        var (updates, counts) = CreateUpdates(options.Updates, options.Parameters, options.Seed);
        var memories = Array.ConvertAll(updates, u => (ReadOnlyMemory<float>)u);
        var triadLength = TriadLength(options.Updates, options.Parameters);
        var a = new float[triadLength];
        var b = new float[triadLength];
        var c = new float[triadLength];
        b.AsSpan().Fill(1f);
        c.AsSpan().Fill(2f);

        Action[] kernels =
        [
            () => Triad(a, b, c, 3f),
            () => StreamingMean(updates, counts),
            () => ParallelWeightedMean.Compute(memories, counts, maxDegreeOfParallelism: 1),
            () => ParallelWeightedMean.Compute(memories, counts),
            () => roundPath(updates, counts),
        ];
        var best = new double[kernels.Length];
        Array.Fill(best, double.MaxValue);
        for (var repetition = 0; repetition <= options.Repetitions; repetition++)
        {
            // Repetition 0 is the warm-up (JIT, page faults of fresh arrays); kernels interleave so
            // that a noisy neighbour slows all of them alike rather than one.
            for (var kernel = 0; kernel < kernels.Length; kernel++)
            {
                var watch = Stopwatch.StartNew();
                kernels[kernel]();
                var seconds = watch.Elapsed.TotalSeconds;
                if (repetition > 0)
                {
                    best[kernel] = Math.Min(best[kernel], seconds);
                }
            }

            progress?.Invoke(repetition == 0 ? "warm-up done" : $"repetition {repetition}/{options.Repetitions} done");
        }

        var updateBytes = UpdateBytes(options.Updates, options.Parameters);
        return new AggregationThroughputResult(
            options.Updates,
            options.Parameters,
            options.Repetitions,
            Environment.ProcessorCount,
            TriadReadBytes(triadLength) / best[0] / 1e9,
            updateBytes / best[1] / 1e9,
            updateBytes / best[2] / 1e9,
            updateBytes / best[3] / 1e9,
            updateBytes / best[4] / 1e9);
    }
}
