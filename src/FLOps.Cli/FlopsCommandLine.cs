using System.CommandLine;
using FLOps.Cli.Bench;
using FLOps.Cli.Certs;
using FLOps.Cli.Cluster;
using FLOps.Cli.Data;
using FLOps.Cli.Demo;
using FLOps.Cli.Learner;
using FLOps.Cli.Serve;
using FLOps.Cli.Service;

namespace FLOps.Cli;

/// <summary>
/// Every verb of <c>flops</c> under one root. A method rather than top-level code, so that the
/// tests parse the README's commands with the very parser users run them through.
/// </summary>
public static class FlopsCommandLine
{
    public static RootCommand CreateRoot() => new("flops: federated learning orchestrated by Orleans grains (after FLOps).")
    {
        DemoCommand.Create(),
        SiloCommand.Create(),
        ServeCommand.CreateServe(),
        ServeCommand.CreateGateway(),
        LearnerCommand.Create(),
        BenchCommand.Create(),
        CertsCommand.Create(),
        SubmitCommand.Create(),
        ProjectsCommand.Create(),
        DataCommand.Create(),
    };
}
