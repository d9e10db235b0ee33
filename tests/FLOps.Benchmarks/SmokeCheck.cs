using FLOps.Learning.Evaluation;

namespace FLOps.Benchmarks;

/// <summary>
/// Runs every benchmark method once, in-process, on tiny sizes and checks what it computed. CI runs
/// only this (through tests/FLOps.Benchmarks.Tests); timings are never asserted.
/// </summary>
public static class SmokeCheck
{
    /// <summary>Returns one line per failed check; empty when all pass.</summary>
    public static IReadOnlyList<string> Run(TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var failures = new List<string>();
        Aggregation(log, failures);
        Serialization(log, failures);
        foreach (var model in TrainingBenchmarks.Kinds)
        {
            Training(log, failures, model);
        }

        log.WriteLine(failures.Count == 0 ? "smoke: all checks passed" : $"smoke: {failures.Count} check(s) failed");
        return failures;
    }

    private static void Check(List<string> failures, TextWriter log, bool passed, string what)
    {
        log.WriteLine($"  {(passed ? "ok  " : "FAIL")} {what}");
        if (!passed)
        {
            failures.Add(what);
        }
    }

    private static void Aggregation(TextWriter log, List<string> failures)
    {
        // 10 updates: two groups of four and a remainder; 20,000 parameters: a partial third tile.
        var benchmarks = new AggregationBenchmarks { Updates = 10, Parameters = 20_000 };
        benchmarks.Setup();
        log.WriteLine($"aggregation: N = {benchmarks.Updates}, D = {benchmarks.Parameters}");
        var (updates, counts) = benchmarks.Inputs;

        Check(failures, log, benchmarks.Triad() == 7f, "triad writes b + 3·c");

        var expected = ReferenceMean(updates, counts);
        Check(failures, log, SameBits(benchmarks.FedAvgStreaming(), expected), "streaming FedAvg equals the plain weighted mean bit for bit");
        Check(failures, log, SameBits(benchmarks.FedAvgTiled(), expected), "tiled FedAvg equals it bit for bit");
        Check(failures, log, SameBits(benchmarks.FedAvgParallel(), expected), "parallel FedAvg equals it bit for bit");
    }

    /// <summary>Σ wₖ·xₖ / Σ wₖ per element, in double, updates in order: what FedAvg must return.</summary>
    private static float[] ReferenceMean(float[][] updates, long[] counts)
    {
        var mean = new float[updates[0].Length];
        var total = (double)counts.Sum();
        for (var i = 0; i < mean.Length; i++)
        {
            var sum = 0.0;
            for (var k = 0; k < updates.Length; k++)
            {
                sum += updates[k][i] * (double)counts[k];
            }

            mean[i] = (float)(sum / total);
        }

        return mean;
    }

    private static bool SameBits(float[] actual, float[] expected) =>
        actual.Length == expected.Length &&
        actual.AsSpan().SequenceEqual(expected) &&
        Array.ConvertAll(actual, BitConverter.SingleToInt32Bits).AsSpan().SequenceEqual(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits));

    private static void Serialization(TextWriter log, List<string> failures)
    {
        using var benchmarks = new SerializationBenchmarks { Parameters = 100_000 };
        benchmarks.Setup();
        var original = benchmarks.Update;
        var wire = benchmarks.Serialize();
        var back = benchmarks.Deserialize();
        log.WriteLine($"serialization: {benchmarks.Parameters:N0} parameters, {wire.Length:N0} bytes on the wire");
        Check(failures, log, wire.Length == benchmarks.WireBytes, "serializing twice gives the same length");
        // The target is 1.1 × the raw floats. Orleans' generic array codec spent a tag byte per
        // float (1.25 ×); FloatArrayCodec writes the parameters as one block (see BENCHMARKS.md).
        var ratio = (double)wire.Length / (sizeof(float) * benchmarks.Parameters);
        log.WriteLine($"  note wire bytes are {ratio:F4} × the raw floats");
        Check(failures, log, ratio <= 1.1, "wire bytes ≤ 1.1 × 4 bytes per parameter (the parameters travel as one block)");
        Check(
            failures,
            log,
            back.DeviceId == original.DeviceId && back.Round == original.Round && back.SampleCount == original.SampleCount &&
            back.TrainingLoss.Equals(original.TrainingLoss) && back.TrainingSeconds.Equals(original.TrainingSeconds),
            "the update's fields round-trip");
        Check(failures, log, back.Parameters.Value.AsSpan().SequenceEqual(original.Parameters.Value), "its parameters round-trip exactly");
    }

    private static void Training(TextWriter log, List<string> failures, string model)
    {
        var benchmarks = new TrainingBenchmarks { Model = model, SampleLimit = 400 };
        benchmarks.Setup();
        benchmarks.ResetParameters();
        var before = ModelEvaluator.Evaluate(benchmarks.Architecture, benchmarks.Parameters, benchmarks.Data).LogLoss;
        var report = benchmarks.OneEpoch();
        var after = ModelEvaluator.Evaluate(benchmarks.Architecture, benchmarks.Parameters, benchmarks.Data).LogLoss;
        log.WriteLine($"training {model}: {report.SampleCount} samples, log-loss {before:F4} → {after:F4}");
        Check(failures, log, report.SampleCount == benchmarks.Samples && report.Steps == (benchmarks.Samples + 15) / 16, $"{model} trains one epoch over every sample");
        Check(failures, log, double.IsFinite(after) && after < before, $"{model} epoch lowers the loss");
    }
}
