using System.CommandLine;
using FLOps.Cli;
using FLOps.Cli.Bench;
using FLOps.Cli.Certs;
using FLOps.Cli.Cluster;
using FLOps.Cli.Data;
using FLOps.Cli.Demo;
using FLOps.Cli.Learner;
using FLOps.Cli.Serve;
using FLOps.Cli.Service;

var root = new RootCommand("flops: federated learning orchestrated by Orleans grains (after FLOps).")
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
return await CommandLineRunner.RunAsync(root, args);
