using System.CommandLine;
using FLOps.Cli;
using FLOps.Cli.Demo;

var root = new RootCommand("flops: federated learning orchestrated by Orleans grains (after FLOps).")
{
    DemoCommand.Create(),
    FLOps.Cli.Bench.BenchCommand.Create(),
};
return await CommandLineRunner.RunAsync(root, args);
