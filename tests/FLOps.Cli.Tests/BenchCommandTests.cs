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
        Assert.Equal(6, result.GetProperty("updates").GetInt32());
        Assert.Equal(50_000, result.GetProperty("parameters").GetInt32());
    }
}
