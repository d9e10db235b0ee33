using System.CommandLine;
using FLOps.Cli.Service;
using FLOps.Learner;

namespace FLOps.Cli.Learner;

public static class LearnerCommand
{
    public static Command Create()
    {
        var gateway = new GatewayOptions();
        var data = new Option<string>("--data") { Description = "Local data: a CSV file (label first) or mnist:shard=i/n", Required = true };
        var dataTags = new Option<string[]>("--data-tag") { Description = "Data tags of the local data (repeatable)", DefaultValueFactory = _ => ["mnist"], AllowMultipleArgumentsPerToken = true };
        var cluster = new Option<string>("--cluster") { Description = "Edge cluster of this device", DefaultValueFactory = _ => "default" };
        var name = new Option<string?>("--name") { Description = "Device name (default: host and process id)" };
        var command = new Command("learner", "Run a real device: register with a gateway, pull tasks, train on local data, push updates") { data, dataTags, cluster, name };
        gateway.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = gateway.Resolve(parse);
            using var http = GatewayOptions.WithAuthority(target, LearnerHttpClient.Create);
            Learning.Data.Dataset local;
            try
            {
                local = LocalData.Load(parse.GetValue(data)!);
            }
            catch (Exception e) when (e is FormatException or FileNotFoundException or IOException)
            {
                throw new UsageException(e.Message);
            }

            var options = new LearnerOptions
            {
                Gateway = target.Url,
                ApiKey = target.ApiKey,
                Name = parse.GetValue(name) ?? $"{Environment.MachineName}-{Environment.ProcessId}",
                DataTags = parse.GetValue(dataTags)!,
                Cluster = parse.GetValue(cluster)!,
            };
            var agent = new LearnerAgent(http, options, local, line => Console.WriteLine($"flops learner: {line}"));
            try
            {
                await agent.RunAsync(cancellationToken);
            }
            catch (RegistrationRefusedException e)
            {
                await Console.Error.WriteLineAsync($"flops learner: {e.Message}");
                return ExitCodes.Failure;
            }

            await Console.Out.WriteLineAsync($"flops learner: stopped after {agent.RoundsTrained} rounds");
            return ExitCodes.Success;
        });
        return command;
    }
}
