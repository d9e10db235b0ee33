using FLOps.Benchmarks;

namespace FLOps.Benchmarks.Tests;

/// <summary>CI's only run of the benchmarks: each method once, on tiny sizes, results checked, timings never asserted.</summary>
public sealed class SmokeTests
{
    [Fact]
    public void Every_benchmark_runs_once_and_computes_the_right_thing()
    {
        using var log = new StringWriter();

        var failures = SmokeCheck.Run(log);

        Assert.True(failures.Count == 0, log.ToString());
    }
}
