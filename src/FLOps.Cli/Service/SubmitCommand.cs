using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FLOps.Protocol;
using FLOps.ServiceClient;

namespace FLOps.Cli.Service;

/// <summary>
/// <c>flops submit SPEC.json [--model FILE.onnx] [--watch] [--out DIR] [--json]</c>: submits a
/// project to a gateway and prints its id; waits for its end with <c>--watch</c> or <c>--out</c>.
/// </summary>
public static class SubmitCommand
{
    /// <summary>What <c>--json</c> prints last: <c>model</c> is the downloaded file, or null.</summary>
    public sealed record Result(string Id, string State, double? Accuracy, string? Model);

    public static Command Create()
    {
        var spec = new Argument<string>("SPEC.json") { Description = "The project spec: a JSON object as POST /api/v1/projects takes it" };
        var model = new Option<string?>("--model") { HelpName = "FILE.onnx", Description = "An ONNX model to train: uploaded first (POST /api/v1/models), then the spec's model becomes { kind: onnx, modelId }" };
        var watch = new Option<bool>("--watch") { Description = "Show the project's progress live until it ends (plain lines when stdout is not a terminal)" };
        var output = new Option<string?>("--out") { HelpName = "DIR", Description = "Wait for the project to end and download its model to DIR/<id>.onnx" };
        var json = new Option<bool>("--json") { Description = "Print { id, state, accuracy, model } as one JSON object on the last line of stdout" };
        var gateway = new GatewayOptions();
        var command = new Command("submit", "Submit a federated project to a gateway; with --watch or --out, wait for its end") { spec, model, watch, output, json };
        gateway.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var specPath = parse.GetValue(spec)!;
            var project = await ReadSpecAsync(specPath, cancellationToken);
            var modelPath = parse.GetValue(model);
            if (modelPath is not null && !File.Exists(modelPath))
            {
                throw new UsageException($"--model: no such file '{modelPath}'");
            }

            var directory = parse.GetValue(output) is { } outPath ? ModelFiles.EnsureDirectory(outPath) : null;
            using var client = gateway.Connect(parse);
            if (modelPath is not null)
            {
                await using var onnx = File.OpenRead(modelPath);
                var uploaded = await client.UploadModelAsync(onnx, cancellationToken);
                UseModel(project, uploaded.Id);
                await Console.Out.WriteLineAsync($"model {uploaded.Id}: {uploaded.Parameters} parameters in {uploaded.Layout.Count} tensors");
            }

            var submitted = await client.SubmitAsync(project, cancellationToken: cancellationToken);
            await Console.Out.WriteLineAsync(submitted.Id);
            var watching = parse.GetValue(watch);
            var asJson = parse.GetValue(json);
            if (!watching && directory is null)
            {
                return await FinishAsync(new Result(submitted.Id, submitted.State, ProjectText.LastAccuracy(submitted), null), asJson, ExitCodes.Success);
            }

            var ended = await ProgressDisplay.FollowAsync(client.WatchAsync(submitted.Id, cancellationToken), ProgressDisplay.For(watching, asJson), Console.Out);
            await Console.Out.WriteLineAsync(ProjectText.Outcome(ended));
            string? modelFile = null;
            if (ended.State == ProjectStates.Completed && directory is not null)
            {
                modelFile = await ModelFiles.DownloadAsync(client, ended.Id, directory, cancellationToken);
                await Console.Out.WriteLineAsync($"model: {modelFile}");
            }

            var exitCode = ended.State == ProjectStates.Completed ? ExitCodes.Success : ExitCodes.Failure;
            if (exitCode != ExitCodes.Success)
            {
                await Console.Error.WriteLineAsync($"flops: {ProjectText.Outcome(ended)}");
            }

            return await FinishAsync(new Result(ended.Id, ended.State, ProjectText.LastAccuracy(ended), modelFile), asJson, exitCode);
        });
        return command;
    }

    /// <summary>The spec file as a JSON object; a missing file, malformed JSON (with its line and position) or another value is a <see cref="UsageException"/>.</summary>
    public static async Task<JsonObject> ReadSpecAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException($"{path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: {e.Message}");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            // The message repeats the position after the reason (" Path: $ | LineNumber: 2 | BytePositionInLine: 4.").
            var reason = e.Message;
            foreach (var tail in (ReadOnlySpan<string>)[" Path: ", " LineNumber: "])
            {
                if (reason.IndexOf(tail, StringComparison.Ordinal) is var at and >= 0)
                {
                    reason = reason[..at];
                }
            }

            throw new UsageException($"{path}: not valid JSON at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {reason}");
        }

        return node as JsonObject ?? throw new UsageException($"{path}: the spec must be a JSON object, not {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}");
    }

    /// <summary>Points the spec's model at an uploaded ONNX model: <c>kind</c> onnx and its <c>modelId</c>, other model fields kept.</summary>
    public static void UseModel(JsonObject spec, string modelId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec["model"] is not JsonObject model)
        {
            spec["model"] = model = [];
        }

        model["kind"] = "onnx";
        model["modelId"] = modelId;
    }

    private static async Task<int> FinishAsync(Result result, bool json, int exitCode)
    {
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(result, ProjectText.Json));
        }

        return exitCode;
    }
}
