using System.Text.Json;

namespace FLOps.Cli.Tests;

public sealed class BenchCommandTests
{
    [Theory]
    [InlineData("--updates", "0", "--updates")]
    [InlineData("--parameters", "-5", "--parameters")]
    [InlineData("--repetitions", "0", "--repetitions")]
    [InlineData("--updates", "many", "--updates")]
    public async Task Bad_input_exits_with_code_2_and_one_line_naming_the_option(string option, string value, string named)
    {
        var run = await FlopsProcess.RunAsync("bench", "aggregate", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(named, Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Aggregate_ends_with_one_json_line_holding_the_contract_fields()
    {
        var run = await FlopsProcess.RunAsync("bench", "aggregate", "--updates", "6", "--parameters", "50000", "--repetitions", "1", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        var triad = result.GetProperty("triadGBs").GetDouble();
        var fedavg = result.GetProperty("fedavgGBs").GetDouble();
        Assert.True(triad > 0 && fedavg > 0);
        Assert.True(result.GetProperty("parallelFedavgGBs").GetDouble() > 0);
        Assert.Equal(fedavg / triad, result.GetProperty("ratio").GetDouble(), 0.01);
        Assert.Equal(result.GetProperty("roundPathGBs").GetDouble() / triad, result.GetProperty("roundPathRatio").GetDouble(), 0.01);
        Assert.True(result.GetProperty("roundPathRatio").GetDouble() > 0);
        Assert.Equal(6, result.GetProperty("updates").GetInt32());
        Assert.Equal(50_000, result.GetProperty("parameters").GetInt32());
    }

    [Fact]
    public async Task Transport_sends_updates_over_plaintext_and_mutual_TLS_and_reports_the_ratio_of_the_two()
    {
        var run = await FlopsProcess.RunAsync("bench", "transport", "--parameters", "10000", "--updates", "3", "--turns", "1", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        var plaintext = result.GetProperty("plaintextSecondsPerUpdate").GetDouble();
        var tls = result.GetProperty("tlsSecondsPerUpdate").GetDouble();
        Assert.True(plaintext > 0 && tls > 0);
        Assert.Equal(tls / plaintext, result.GetProperty("tlsRatio").GetDouble(), 0.01);
        Assert.Equal(10_000, result.GetProperty("parameters").GetInt32());
    }

    [Fact]
    public async Task Scale_runs_the_project_to_completion_and_ends_with_one_json_line_holding_the_contract_fields()
    {
        var run = await FlopsProcess.RunAsync("bench", "scale", "--devices", "100", "--rounds", "1", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        Assert.Equal(100, result.GetProperty("devices").GetInt32());
        Assert.Equal("Completed", result.GetProperty("state").GetString());
        var round = Assert.Single(result.GetProperty("perRound").EnumerateArray());
        Assert.Equal(100, round.GetProperty("participants").GetInt32());

        // Figures are present and sane, never compared with a speed.
        var roundSeconds = result.GetProperty("roundSeconds").GetDouble();
        var orchestration = result.GetProperty("orchestrationSeconds").GetDouble();
        Assert.True(roundSeconds > 0);
        Assert.InRange(orchestration, 0, roundSeconds);
        Assert.True(result.GetProperty("bytesPerDevice").GetDouble() > 0);
        Assert.True(result.GetProperty("bareFanoutSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("fanoutRatio").GetDouble() > 0);
        Assert.True(result.GetProperty("submitSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("peakWorkingSetBytes").GetInt64() > 0);

        // Every device was handed the task and sent its update: at least two grain calls each.
        Assert.True(result.GetProperty("messagesPerRound").GetDouble() >= 200);
    }

    [Fact]
    public async Task Scale_over_registered_devices_on_several_silos_samples_a_fraction_and_reports_the_fan_out_beside_it()
    {
        var run = await FlopsProcess.RunAsync("bench", "scale", "--registered", "200", "--fraction", "0.1", "--silos", "2", "--rounds", "2", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        Assert.Equal(200, result.GetProperty("devices").GetInt32());
        Assert.Equal(200, result.GetProperty("registered").GetInt32());
        Assert.Equal(2, result.GetProperty("silos").GetInt32());
        Assert.Equal("Completed", result.GetProperty("state").GetString());
        Assert.All(result.GetProperty("perRound").EnumerateArray(), r => Assert.Equal(20, r.GetProperty("participants").GetInt32()));

        // Present and sane, never compared with a speed.
        var bare = result.GetProperty("bareFanoutSeconds").GetDouble();
        Assert.True(bare > 0);
        var ratio = result.GetProperty("fanoutRatio").GetDouble();
        Assert.Equal(result.GetProperty("orchestrationSeconds").GetDouble() / bare, ratio, (0.001 * ratio) + 0.001);
        Assert.True(result.GetProperty("submitSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("registerSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("peakWorkingSetBytes").GetInt64() > 0);

        // Devices a round selected live on the silos; the 160 or so never selected were never kept.
        var perSilo = result.GetProperty("devicesPerSilo").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(2, perSilo.Count);
        Assert.InRange(perSilo.Sum(), 20, 40);
    }

    [Fact]
    public async Task Learners_runs_real_http_learners_through_every_round_and_ends_with_one_json_line_holding_the_contract_fields()
    {
        var run = await FlopsProcess.RunAsync("bench", "learners", "--count", "20", "--rounds", "2", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        Assert.Equal(20, result.GetProperty("learners").GetInt32());
        Assert.Equal("Completed", result.GetProperty("state").GetString());
        Assert.All(result.GetProperty("perRound").EnumerateArray(), round => Assert.Equal(20, round.GetProperty("participants").GetInt32()));
        Assert.True(result.GetProperty("allAccepted").GetBoolean());
        Assert.Equal(40, result.GetProperty("updatesAccepted").GetInt32());

        // Figures are present and sane, never compared with a speed.
        Assert.True(result.GetProperty("registerSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("roundSeconds").GetDouble() > 0);
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--wait", "31")]
    [InlineData("--gateway", "ftp://example")]
    public async Task Learners_refuses_bad_input_with_code_2_naming_the_option(string option, string value)
    {
        var run = await FlopsProcess.RunAsync("bench", "learners", option, value, "--api-key", "k");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(option, Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("--devices", "1")]
    [InlineData("--rounds", "0")]
    [InlineData("--fraction", "0")]
    [InlineData("--silos", "0")]
    [InlineData("--registered", "1")]
    public async Task Scale_refuses_bad_input_with_code_2_naming_the_option(string option, string value)
    {
        var run = await FlopsProcess.RunAsync("bench", "scale", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(option, Assert.Single(run.ErrorLines));
    }
}
