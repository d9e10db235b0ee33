using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using FLOps.Benchmarks;

// --smoke: every benchmark method once, in-process, on tiny sizes, with its result checked (CI).
// Anything else goes to BenchmarkDotNet, e.g. --filter '*Aggregation*' --job short.
if (args.Contains("--smoke"))
{
    return SmokeCheck.Run(Console.Out).Count == 0 ? 0 : 1;
}

var config = ManualConfig.Create(DefaultConfig.Instance).AddColumn(ThroughputColumns.All);
BenchmarkSwitcher.FromAssembly(typeof(SmokeCheck).Assembly).Run(args, config);
return 0;
