using FLOps.Abstractions.Projects;
using FLOps.Client;
using FLOps.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

var connectionString = args[0];   // the cluster's PostgreSQL, as its silos were given it with --postgres
using var host = PostgresCluster.BuildClient(connectionString);   // or a co-hosted silo's services
await host.StartAsync();
var flops = new FlopsClient(host.Services.GetRequiredService<IGrainFactory>(), tenant: "me");
var project = await flops.SubmitAsync(new ProjectSpec
{
    Name = "mnist",
    Simulation = new SimulationSpec { Devices = 10 },
});
await foreach (var progress in flops.WatchAsync(project.Id))
    Console.WriteLine($"{progress.State} round {progress.Rounds.Count}: {progress.Rounds.LastOrDefault()?.Accuracy}");
await File.WriteAllBytesAsync("model.onnx", await flops.DownloadModelAsync(project.Id));
