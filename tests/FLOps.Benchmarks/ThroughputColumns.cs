using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FLOps.Benchmarks;

/// <summary>Columns that turn mean times into throughputs: GB/s read and × triad for aggregation, samples/s for training.</summary>
public static class ThroughputColumns
{
    public static IColumn[] All { get; } =
    [
        new DerivedColumn("GB/s read", "Bytes read per second (10⁹ B/s): N·D·4 update bytes, or the triad's b and c, over the mean time", GigabytesPerSecond),
        new DerivedColumn("× triad", "GB/s read over the triad's with the same N and D (higher is better)", RatioToTriad),
        new DerivedColumn("samples/s", "Training samples per second over one epoch", SamplesPerSecond),
    ];

    private static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmark)
    {
        if (benchmark.Descriptor.Type != typeof(AggregationBenchmarks) || Mean(summary, benchmark) is not { } nanoseconds)
        {
            return null;
        }

        var bytes = AggregationBenchmarks.BytesRead(Parameter(benchmark, nameof(AggregationBenchmarks.Updates)), Parameter(benchmark, nameof(AggregationBenchmarks.Parameters)));
        return bytes / nanoseconds;
    }

    private static double? RatioToTriad(Summary summary, BenchmarkCase benchmark)
    {
        if (GigabytesPerSecond(summary, benchmark) is not { } own)
        {
            return null;
        }

        var triad = summary.BenchmarksCases.FirstOrDefault(other =>
            other.Descriptor.Type == typeof(AggregationBenchmarks) &&
            other.Descriptor.WorkloadMethod.Name == nameof(AggregationBenchmarks.Triad) &&
            other.Parameters.DisplayInfo == benchmark.Parameters.DisplayInfo &&
            other.Job == benchmark.Job);
        return triad is not null && GigabytesPerSecond(summary, triad) is { } baseline ? own / baseline : null;
    }

    private static double? SamplesPerSecond(Summary summary, BenchmarkCase benchmark)
    {
        if (benchmark.Descriptor.Type != typeof(TrainingBenchmarks) || Mean(summary, benchmark) is not { } nanoseconds)
        {
            return null;
        }

        return FLOps.Learning.Data.Mnist.Load().Train.Count / (nanoseconds / 1e9);
    }

    private static double? Mean(Summary summary, BenchmarkCase benchmark) =>
        summary[benchmark]?.ResultStatistics?.Mean is { } mean && mean > 0 ? mean : null;

    private static int Parameter(BenchmarkCase benchmark, string name) => Convert.ToInt32(benchmark.Parameters[name], CultureInfo.InvariantCulture);

    private sealed class DerivedColumn(string name, string legend, Func<Summary, BenchmarkCase, double?> value) : IColumn
    {
        public string Id => $"{nameof(ThroughputColumns)}.{name}";

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => legend;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            value(summary, benchmarkCase) is { } v ? v.ToString(v >= 100 ? "N0" : "F2", CultureInfo.InvariantCulture) : "-";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
