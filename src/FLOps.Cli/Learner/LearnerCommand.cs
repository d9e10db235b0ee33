using System.CommandLine;
using FLOps.Learner;
using FLOps.Tls;

namespace FLOps.Cli.Learner;

public static class LearnerCommand
{
    public static Command Create()
    {
        var gateway = new Option<string>("--gateway") { Description = "URL of the FLOps gateway", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key (default: $FLOPS_API_KEY)" };
        var data = new Option<string>("--data") { Description = "Local data: a CSV file (label first) or mnist:shard=i/n", Required = true };
        var dataTags = new Option<string[]>("--data-tag") { Description = "Data tags of the local data (repeatable)", DefaultValueFactory = _ => ["mnist"], AllowMultipleArgumentsPerToken = true };
        var cluster = new Option<string>("--cluster") { Description = "Edge cluster of this device", DefaultValueFactory = _ => "default" };
        var name = new Option<string?>("--name") { Description = "Device name (default: host and process id)" };
        var authority = new Option<string?>("--ca") { Description = "PEM file of the private CA that signed an https:// gateway's certificate (flops certs create); trusted instead of the machine's CAs" };
        var command = new Command("learner", "Run a real device: register with a gateway, pull tasks, train on local data, push updates") { gateway, apiKey, data, dataTags, cluster, name, authority };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("FLOPS_API_KEY") ?? throw new UsageException("--api-key (or FLOPS_API_KEY) is required");
            if (!Uri.TryCreate(parse.GetValue(gateway), UriKind.Absolute, out var gatewayUri) || gatewayUri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--gateway: '{parse.GetValue(gateway)}' is not an http(s) URL");
            }

            using var http = CreateHttpClient(gatewayUri, parse.GetValue(authority));
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
                Gateway = gatewayUri,
                ApiKey = key,
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

    private static HttpClient CreateHttpClient(Uri gateway, string? authorityPath)
    {
        // A CA for a plain http:// gateway would protect nothing, which its user would not expect.
        if (authorityPath is not null && gateway.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"--ca: only an https:// gateway is checked against a CA (got {gateway})");
        }

        try
        {
            return LearnerHttpClient.Create(authorityPath);
        }
        catch (TlsConfigurationException e)
        {
            throw new UsageException($"--ca: {e.Message}");
        }
    }
}
