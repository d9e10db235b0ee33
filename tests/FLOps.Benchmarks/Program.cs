using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using FLOps.Benchmarks;

// --smoke: every benchmark method once, in-process, on tiny sizes, with its result checked (CI).
// Anything else goes to BenchmarkDotNet, e.g. --filter '*Aggregation*' --job short.
// cnn throughput|federated …: our side of cnn/compare_pytorch.sh (see Cnn.CnnBench).
if (args.Length > 0 && args[0] == "cnn")
{
    return FLOps.Benchmarks.Cnn.CnnBench.Run(args[1..], Console.Out);
}

if (args.Contains("--smoke"))
{
    return SmokeCheck.Run(Console.Out).Count == 0 ? 0 : 1;
}

var config = ManualConfig.Create(DefaultConfig.Instance).AddColumn(ThroughputColumns.All);
BenchmarkSwitcher.FromAssembly(typeof(SmokeCheck).Assembly).Run(args, config);
return 0;
