using BenchmarkDotNet.Attributes;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Benchmarks;

namespace FLOps.Benchmarks;

/// <summary>
/// FedAvg over N updates of D floats against a STREAM-style triad reading the same bytes
/// (b and c together hold N·D floats). The GB/s and "× triad" columns (<see cref="ThroughputColumns"/>)
/// turn the mean times into bytes read per second and into the kernel's bandwidth over the triad's.
/// Further strategies (median, trimmed mean, Krum) get their own benchmark methods here.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    private float[][] _updates = [];
    private ReadOnlyMemory<float>[] _memories = [];
    private long[] _sampleCounts = [];
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    [Params(100_000, 1_000_000)]
    public int Parameters { get; set; } = 1_000_000;

    [Params(10, 100)]
    public int Updates { get; set; } = 100;

    /// <summary>Bytes every kernel of this class reads per operation.</summary>
    public static long BytesRead(int updates, int parameters) => AggregationThroughput.UpdateBytes(updates, parameters);

    [GlobalSetup]
    public void Setup()
    {
        (_updates, _sampleCounts) = AggregationThroughput.CreateUpdates(Updates, Parameters, seed: 42);
        _memories = Array.ConvertAll(_updates, u => (ReadOnlyMemory<float>)u);
        var triadLength = AggregationThroughput.TriadLength(Updates, Parameters);
        _a = new float[triadLength];
        _b = new float[triadLength];
        _c = new float[triadLength];
        _a.AsSpan().Fill(-1f); // touch every page now, not in the first measured run
        _b.AsSpan().Fill(1f);
        _c.AsSpan().Fill(2f);
    }

    /// <summary>The updates and their sample counts, for checks.</summary>
    public (float[][] Updates, long[] SampleCounts) Inputs => (_updates, _sampleCounts);

    /// <summary>a[i] = b[i] + 3·c[i]; returns a's last element.</summary>
    [Benchmark(Baseline = true)]
    public float Triad()
    {
        AggregationThroughput.Triad(_a, _b, _c, 3f);
        return _a[^1];
    }

    /// <summary>What a round grain does: one update at a time into a <see cref="WeightedMeanRound"/>.</summary>
    [Benchmark]
    public float[] FedAvgStreaming() => AggregationThroughput.StreamingMean(_updates, _sampleCounts);

    /// <summary>The whole batch, tile by tile, on one thread.</summary>
    [Benchmark]
    public float[] FedAvgTiled() => ParallelWeightedMean.Compute(_memories, _sampleCounts, maxDegreeOfParallelism: 1);

    /// <summary>The whole batch, tiles spread over every core.</summary>
    [Benchmark]
    public float[] FedAvgParallel() => ParallelWeightedMean.Compute(_memories, _sampleCounts);
}
