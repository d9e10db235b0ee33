using System.Text.Json;

namespace FLOps.Cli.Tests;

/// <summary><c>flops submit</c> and <c>flops projects</c> as a user runs them, against a real <c>flops serve</c>.</summary>
public sealed class UserCommandsTests(ServeFixture serve) : IClassFixture<ServeFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-user-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Submit_with_out_and_json_waits_for_the_end_downloads_the_model_and_prints_the_result_last()
    {
        var output = Path.Combine(_directory, "models");

        var run = await Flops(["submit", Spec(rounds: 2), "--out", output, "--json", .. serve.GatewayArgs()]);

        Assert.True(run.ExitCode == 0, run.StandardError + run.StandardOutput);
        var id = run.OutputLines[0];
        var result = JsonDocument.Parse(run.OutputLines[^1]).RootElement;
        Assert.Equal(id, result.GetProperty("id").GetString());
        Assert.Equal("Completed", result.GetProperty("state").GetString());
        Assert.InRange(result.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
        var model = result.GetProperty("model").GetString()!;
        Assert.Equal(Path.Combine(output, id + ".onnx"), model);
        Assert.True(new FileInfo(model).Length > 1000);
        Assert.Empty(Directory.GetFiles(output, "*.part"));

        // projects list, show and download see the same project.
        var list = await Flops(["projects", "list", "--json", .. serve.GatewayArgs()]);
        Assert.True(list.ExitCode == 0, list.StandardError);
        var listed = Assert.Single(JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        Assert.Equal("Completed", listed.GetProperty("state").GetString());
        var table = await Flops(["projects", "list", .. serve.GatewayArgs()]);
        Assert.Contains(id, table.StandardOutput, StringComparison.Ordinal);

        var show = await Flops(["projects", "show", id, .. serve.GatewayArgs()]);
        Assert.True(show.ExitCode == 0, show.StandardError);
        Assert.Contains("Completed", show.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Participants", show.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(show.OutputLines, l => l.Contains("│ 2 ", StringComparison.Ordinal) && l.Contains("3/3", StringComparison.Ordinal));

        var again = Path.Combine(_directory, "again");
        var download = await Flops(["projects", "download", id, "--out", again, .. serve.GatewayArgs()]);
        Assert.True(download.ExitCode == 0, download.StandardError);
        Assert.Equal(Path.Combine(again, id + ".onnx"), download.OutputLines[^1]);
        Assert.Equal(await File.ReadAllBytesAsync(model), await File.ReadAllBytesAsync(download.OutputLines[^1]));
    }

    [Fact]
    public async Task Submit_with_watch_into_a_pipe_prints_a_line_a_round_and_the_json_result_last()
    {
        var run = await Flops(["submit", Spec(rounds: 2), "--watch", "--json", .. serve.GatewayArgs()]);

        Assert.True(run.ExitCode == 0, run.StandardError + run.StandardOutput);
        Assert.Contains(run.OutputLines, l => l.StartsWith("round 1/2  participants 3/3  accuracy 0.", StringComparison.Ordinal));
        Assert.Contains(run.OutputLines, l => l.StartsWith("round 2/2  participants 3/3  accuracy 0.", StringComparison.Ordinal));
        var result = JsonDocument.Parse(run.OutputLines[^1]).RootElement;
        Assert.Equal("Completed", result.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("model").ValueKind);
    }

    [Fact]
    public async Task A_project_cancelled_while_submit_waits_ends_submit_with_code_1_and_cancel_shows_it_cancelled()
    {
        var name = $"long-{Guid.NewGuid():N}";
        var waiting = Flops(["submit", Spec(rounds: 500, name: name), "--out", _directory, "--json", .. serve.GatewayArgs()]);
        var id = await IdOfProjectNamed(name, waiting);

        var cancel = await Flops(["projects", "cancel", id, .. serve.GatewayArgs()]);
        var run = await waiting;

        Assert.True(cancel.ExitCode == 0, cancel.StandardError);
        Assert.Equal($"project {id} Cancelled", Assert.Single(cancel.OutputLines));
        Assert.Equal(1, run.ExitCode);
        var result = JsonDocument.Parse(run.OutputLines[^1]).RootElement;
        Assert.Equal("Cancelled", result.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("model").ValueKind);
        Assert.StartsWith($"flops: project {id} Cancelled after", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, id + ".onnx")));
        var shown = await Flops(["projects", "show", id, "--json", .. serve.GatewayArgs()]);
        Assert.Equal("Cancelled", JsonDocument.Parse(shown.StandardOutput).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_spec_the_gateway_refuses_exits_with_code_2_and_the_gateways_reason_in_one_line()
    {
        var spec = Write("bad.json", """{ "name": "bad", "training": { "rounds": 0 }, "simulation": { "devices": 3 } }""");

        var run = await Flops(["submit", spec, .. serve.GatewayArgs()]);

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.StartsWith("flops: Invalid project spec: ", reason, StringComparison.Ordinal);
        Assert.Contains("training.rounds: must be between 1 and", reason, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
    }

    [Fact]
    public async Task A_spec_with_an_unknown_field_exits_with_code_2_naming_it_in_json_terms()
    {
        var spec = Write("typo.json", """{ "name": "typo", "trainig": { "rounds": 2 }, "training": { "batch": 8 } }""");

        var run = await Flops(["submit", spec, .. serve.GatewayArgs()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("flops: Invalid project spec: trainig: unknown field; training.batch: unknown field", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task A_wrong_api_key_exits_with_code_2_saying_the_gateway_refused_it()
    {
        var run = await Flops(["projects", "list", .. serve.GatewayArgs("not-a-key")]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("flops: the gateway refused the API key", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_and_key_can_come_from_FLOPS_GATEWAY_and_FLOPS_API_KEY()
    {
        var environment = new Dictionary<string, string> { ["FLOPS_GATEWAY"] = serve.Url, ["FLOPS_API_KEY"] = ServeFixture.OtherApiKey };

        var run = await FlopsProcess.RunAsync(environment, "projects", "list", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(run.StandardOutput).RootElement.ValueKind);
    }

    [Fact]
    public async Task Another_tenants_project_or_an_unknown_id_is_no_project_and_exits_with_code_2()
    {
        var submitted = await Flops(["submit", Spec(rounds: 1), .. serve.GatewayArgs()]);
        var id = Assert.Single(submitted.OutputLines);

        var other = await Flops(["projects", "show", id, .. serve.GatewayArgs(ServeFixture.OtherApiKey)]);
        var unknown = await Flops(["projects", "cancel", "no-such-project", .. serve.GatewayArgs()]);

        Assert.Equal(2, other.ExitCode);
        Assert.Equal($"flops: no project '{id}'", Assert.Single(other.ErrorLines));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("flops: no project 'no-such-project'", Assert.Single(unknown.ErrorLines));
    }

    [Fact]
    public async Task An_unusable_onnx_model_is_refused_with_the_gateways_reason_and_no_project_is_submitted()
    {
        var onnx = Write("model.onnx", "not really onnx");

        var run = await Flops(["submit", Spec(rounds: 1), "--model", onnx, .. serve.GatewayArgs()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not an ONNX model", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
    }

    private string Spec(int rounds, string name = "cli-test") => Write(
        $"{Guid.NewGuid():N}.json",
        $$"""
        {
          "name": "{{name}}",
          "dataTag": "mnist",
          "model": { "kind": "softmax" },
          "training": { "rounds": {{rounds}}, "batchSize": 16, "learningRate": 0.5, "minFitClients": 2, "minAvailableClients": 2 },
          "simulation": { "devices": 3, "partition": "iid", "seed": 7 }
        }
        """);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Polls <c>flops projects list --json</c> until the project named <paramref name="name"/> shows up.</summary>
    private async Task<string> IdOfProjectNamed(string name, Task<FlopsProcess.Result> submitting)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(submitting.IsCompleted, $"submit ended before its project was listed: {(submitting.IsCompleted ? (await submitting).StandardError : "")}");
            var list = await Flops(["projects", "list", "--json", .. serve.GatewayArgs()]);
            foreach (var project in JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray())
            {
                if (project.GetProperty("name").GetString() == name)
                {
                    return project.GetProperty("id").GetString()!;
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no project '{name}' was listed");
    }

    private static Task<FlopsProcess.Result> Flops(string[] args) => FlopsProcess.RunAsync(args);
}
