using System.Text.Json.Nodes;
using FLOps.Cli.Service;

namespace FLOps.Cli.Tests;

/// <summary>What <c>flops submit</c> does with the spec file before any gateway sees it.</summary>
public sealed class SubmitSpecTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-submit-spec-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Malformed_json_exits_with_code_2_and_one_line_naming_the_file_line_and_position()
    {
        var spec = Path.Combine(_directory, "broken.json");
        await File.WriteAllTextAsync(spec, "{\n  \"name\": \"x\",\n  \"training\": { \"rounds\": 2 \n}");

        var run = await FlopsProcess.RunAsync("submit", spec, "--gateway", "http://127.0.0.1:1", "--api-key", "k");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"flops: {spec}: not valid JSON at line 4, position 2: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("[1, 2]", "the spec must be a JSON object, not array")]
    [InlineData("null", "the spec must be a JSON object, not null")]
    public async Task A_spec_that_is_not_an_object_is_refused_before_it_is_sent(string text, string reason)
    {
        var spec = Path.Combine(_directory, "spec.json");
        await File.WriteAllTextAsync(spec, text);

        var error = await Assert.ThrowsAsync<UsageException>(() => SubmitCommand.ReadSpecAsync(spec, CancellationToken.None));

        Assert.Equal($"{spec}: {reason}", error.Message);
    }

    [Fact]
    public async Task A_missing_spec_file_exits_with_code_2()
    {
        var run = await FlopsProcess.RunAsync("submit", Path.Combine(_directory, "none.json"), "--api-key", "k");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"flops: {Path.Combine(_directory, "none.json")}: no such file", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void An_uploaded_model_becomes_the_specs_onnx_model_keeping_its_other_fields()
    {
        var spec = JsonNode.Parse("""{"name":"n","model":{"kind":"softmax","inputs":784}}""")!.AsObject();
        var bare = JsonNode.Parse("""{"name":"n"}""")!.AsObject();

        SubmitCommand.UseModel(spec, "m-1");
        SubmitCommand.UseModel(bare, "m-2");

        Assert.Equal("""{"name":"n","model":{"kind":"onnx","inputs":784,"modelId":"m-1"}}""", spec.ToJsonString());
        Assert.Equal("""{"name":"n","model":{"kind":"onnx","modelId":"m-2"}}""", bare.ToJsonString());
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_with_code_1_and_one_line_naming_it()
    {
        var spec = Path.Combine(_directory, "ok.json");
        await File.WriteAllTextAsync(spec, """{"name":"n"}""");
        var port = ServeFixture.FreePort();

        var run = await FlopsProcess.RunAsync("submit", spec, "--gateway", $"http://127.0.0.1:{port}", "--api-key", "k");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"flops: could not reach the gateway at http://127.0.0.1:{port}/: the connection failed", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_api_key_exits_with_code_2()
    {
        var spec = Path.Combine(_directory, "ok.json");
        await File.WriteAllTextAsync(spec, """{"name":"n"}""");

        var run = await FlopsProcess.RunAsync(new Dictionary<string, string> { ["FLOPS_API_KEY"] = "" }, "submit", spec);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("flops: --api-key (or FLOPS_API_KEY) is required", Assert.Single(run.ErrorLines));
    }
}
