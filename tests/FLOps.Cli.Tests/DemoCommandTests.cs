using System.Text.Json;
using FLOps.Cli.Demo;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Cli.Tests;

public sealed class DemoCommandTests
{
    [Fact]
    public void The_help_of_model_names_every_kind_of_the_catalogue_with_what_it_computes()
    {
        var model = DemoCommand.Create().Options.Single(option => option.Name == "--model");

        Assert.All(ModelCatalog.Kinds, kind => Assert.Contains($"{kind.Name} ({kind.Description})", model.Description));
        Assert.Equal("softmax", model.GetDefaultValue());
    }

    [Theory]
    [InlineData("softmax", 1, 16, 0.5, 0.0)]
    [InlineData("mlp", 1, 16, 0.5, 0.0)]
    [InlineData("CNN", 2, 32, 0.05, 0.9)]
    public void Local_training_options_left_out_are_what_suits_the_model(string model, int epochs, int batch, double learningRate, double momentum)
    {
        var training = DemoRunner.SpecFor(new DemoSettings { Model = model }).Training;

        Assert.Equal((epochs, batch, learningRate, momentum), (training.LocalEpochs, training.BatchSize, training.LearningRate, training.Momentum));
        Assert.Equal(ModelCatalog.Find(model)!.SuggestedTraining, new SuggestedTraining(epochs, batch, learningRate, momentum));
    }

    [Fact]
    public void Local_training_options_given_win_over_the_models_one_by_one()
    {
        var training = DemoRunner.SpecFor(new DemoSettings { Model = "cnn", LearningRate = 0.1, Momentum = 0 }).Training;

        Assert.Equal((2, 32, 0.1, 0.0), (training.LocalEpochs, training.BatchSize, training.LearningRate, training.Momentum));
    }

    [Theory]
    [InlineData("classic", 0)]
    [InlineData("hierarchical", 2)]
    public void Speed_spread_and_dropout_rate_reach_the_simulation_in_every_mode(string mode, int edgeClusters)
    {
        var simulation = DemoRunner.SpecFor(new DemoSettings { Mode = mode, EdgeClusters = edgeClusters, SpeedSpread = 10, DropoutRate = 0.1 }).Simulation!;

        Assert.Equal((10.0, 0.1), (simulation.SpeedSpread, simulation.DropoutRate));
    }

    [Fact]
    public void Rounds_wait_120_s_unless_devices_drop_out_and_then_one_and_a_half_times_the_slowest_devices_compute_plus_3_s()
    {
        Assert.Equal(120, DemoRunner.SpecFor(new DemoSettings { SpeedSpread = 10 }).Training.RoundTimeoutSeconds);

        // 10 devices of 800 digits: the slowest computes 9 × 800 × 0.25 ms = 1.8 s more; 1.5 × 1.8 + 3 = 5.7.
        Assert.Equal(6, DemoRunner.SpecFor(new DemoSettings { SpeedSpread = 10, DropoutRate = 0.1 }).Training.RoundTimeoutSeconds);
        Assert.Equal(3, DemoRunner.SpecFor(new DemoSettings { DropoutRate = 0.1 }).Training.RoundTimeoutSeconds);
        Assert.Equal(30, DemoRunner.SpecFor(new DemoSettings { DropoutRate = 0.1, RoundTimeoutSeconds = 30 }).Training.RoundTimeoutSeconds);
    }

    [Theory]
    [InlineData("--devices", "0", "--devices")]
    [InlineData("--rounds", "-1", "--rounds")]
    [InlineData("--partition", "dirichlet:0", "--partition")]
    [InlineData("--partition", "zipf", "--partition")]
    [InlineData("--model", "foo", "--model")]
    [InlineData("--local-epochs", "0", "--local-epochs")]
    [InlineData("--momentum", "1", "--momentum")]
    [InlineData("--strategy", "fedmagic", "--strategy")]
    [InlineData("--mode", "hierarchical", "--mode")]
    [InlineData("--edge-clusters", "-1", "--edge-clusters")]
    [InlineData("--edge-clusters", "27", "--edge-clusters")]
    [InlineData("--byzantine", "11", "--byzantine")]
    [InlineData("--byzantine", "-1", "--byzantine")]
    [InlineData("--attack", "zap", "--attack")]
    [InlineData("--strategy-param", "f=two", "--strategy-param")]
    [InlineData("--strategy-param", "mu=-1", "--strategy-param")]
    [InlineData("--max-update-norm", "0", "--max-update-norm")]
    [InlineData("--dp-clipping-norm", "-1", "--dp-clipping-norm")]
    [InlineData("--on-round-failure", "panic", "--on-round-failure")]
    [InlineData("--devices", "ten", "--devices")]
    [InlineData("--metrics-port", "0", "--metrics-port")]
    [InlineData("--metrics-port", "70000", "--metrics-port")]
    [InlineData("--metrics-host", "*", "--metrics-host")]
    [InlineData("--speed-spread", "0.5", "--speed-spread")]
    [InlineData("--speed-spread", "1001", "--speed-spread")]
    [InlineData("--speed-spread", "NaN", "--speed-spread")]
    [InlineData("--dropout-rate", "1", "--dropout-rate")]
    [InlineData("--dropout-rate", "-0.1", "--dropout-rate")]
    [InlineData("--dropout-rate", "lots", "--dropout-rate")]
    public async Task Bad_input_exits_with_code_2_and_one_line_naming_the_option(string option, string value, string named)
    {
        var run = await FlopsProcess.RunAsync("demo", option, value);

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains(named, reason);
        Assert.DoesNotContain("   at ", run.StandardError);
    }

    [Fact]
    public async Task Byzantine_devices_and_strategy_parameters_reach_the_project()
    {
        var output = Directory.CreateTempSubdirectory("flops-demo-").FullName;

        var run = await FlopsProcess.RunAsync(
            "demo", "--devices", "10", "--rounds", "3", "--byzantine", "2", "--attack", "noise", "--strategy", "krum", "--strategy-param", "f=2", "--json", "--out", output);

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        Assert.Equal("krum", json.RootElement.GetProperty("strategy").GetString());
        Assert.InRange(json.RootElement.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        using var rounds = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "rounds.json")));
        Assert.Equal(10, rounds.RootElement.GetProperty("history")[0].GetProperty("participants").GetInt32());
    }

    [Fact]
    public async Task Hierarchical_mode_runs_on_a_cloud_and_two_edge_silos_and_sends_the_cloud_one_model_per_cluster_per_cycle()
    {
        var output = Directory.CreateTempSubdirectory("flops-demo-").FullName;

        var run = await FlopsProcess.RunAsync("demo", "--mode", "hierarchical", "--edge-clusters", "2", "--cycles", "2", "--rounds", "2", "--json", "--out", output);

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var modelBytes = 7850L * sizeof(float);
        Assert.Equal("hierarchical", json.RootElement.GetProperty("mode").GetString());
        Assert.Equal(2 * 2 * modelBytes, json.RootElement.GetProperty("bytesToCloud").GetInt64());
        Assert.Equal(2 * 2 * 10 * modelBytes, json.RootElement.GetProperty("bytesToEdge").GetInt64());
        Assert.InRange(json.RootElement.GetProperty("accuracy").GetDouble(), 0.85, 1.0);
        Assert.Contains(run.OutputLines, l => l.StartsWith("cycle 2/2", StringComparison.Ordinal) && l.Contains("edge-b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fewer_devices_than_min_fit_clients_exits_with_code_2()
    {
        var run = await FlopsProcess.RunAsync("demo", "--devices", "2", "--min-fit-clients", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--min-fit-clients", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task An_unknown_verb_exits_with_code_2()
    {
        var run = await FlopsProcess.RunAsync("fly");

        Assert.Equal(2, run.ExitCode);
    }

    [Fact]
    public async Task The_demo_trains_writes_the_model_and_metrics_and_ends_with_one_json_line()
    {
        var output = Directory.CreateTempSubdirectory("flops-demo-").FullName;

        var run = await FlopsProcess.RunAsync("demo", "--devices", "4", "--rounds", "3", "--json", "--out", output);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains(run.OutputLines, l => l.StartsWith("round 3/3", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        var result = json.RootElement;
        Assert.InRange(result.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        Assert.True(result.GetProperty("loss").GetDouble() > 0);
        Assert.Equal(3, result.GetProperty("rounds").GetInt32());
        Assert.Equal(4, result.GetProperty("devices").GetInt32());
        Assert.True(result.GetProperty("seconds").GetDouble() > 0);
        Assert.InRange(result.GetProperty("projectSeconds").GetDouble(), double.Epsilon, result.GetProperty("seconds").GetDouble());
        Assert.Equal(3L * 4 * 7850 * sizeof(float), result.GetProperty("bytesToCloud").GetInt64());
        var model = result.GetProperty("model").GetString()!;
        Assert.Equal(Path.Combine(output, "model.onnx"), model);
        Assert.True(new FileInfo(model).Length > 7850 * sizeof(float));
        var csv = await File.ReadAllLinesAsync(Path.Combine(output, "rounds.csv"));
        Assert.Equal(4, csv.Length);
        Assert.True(File.Exists(Path.Combine(output, "rounds.json")));
    }

    [Fact]
    public async Task The_cnn_demo_trains_with_its_own_settings_and_learns_the_digits_in_one_round()
    {
        var run = await FlopsProcess.RunAsync("demo", "--model", "cnn", "--devices", "2", "--rounds", "1", "--json", "--out", Directory.CreateTempSubdirectory().FullName);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("Local training: 2 epochs, batch 32, learning rate 0.05, momentum 0.9", run.OutputLines);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        Assert.Equal("cnn", json.RootElement.GetProperty("modelKind").GetString());
        Assert.Equal(2L * 225_034 * sizeof(float), json.RootElement.GetProperty("bytesToCloud").GetInt64());
        Assert.True(json.RootElement.GetProperty("accuracy").GetDouble() >= 0.93, run.OutputLines[^1]);
    }

    [Fact]
    public async Task The_default_demo_reaches_the_softmax_iid_accuracy_target_of_090()
    {
        var run = await FlopsProcess.RunAsync("demo", "--json", "--out", Directory.CreateTempSubdirectory().FullName);

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var json = JsonDocument.Parse(run.OutputLines[^1]);
        Assert.Equal(10, json.RootElement.GetProperty("devices").GetInt32());
        Assert.Equal(10, json.RootElement.GetProperty("rounds").GetInt32());
        Assert.True(json.RootElement.GetProperty("accuracy").GetDouble() >= 0.90, run.OutputLines[^1]);
    }

    [Fact]
    public async Task Two_runs_with_the_same_seed_report_the_same_accuracy_to_the_last_digit()
    {
        var args = new[] { "demo", "--devices", "3", "--rounds", "2", "--partition", "dirichlet:0.5", "--seed", "5", "--json" };

        var first = await FlopsProcess.RunAsync([.. args, "--out", Directory.CreateTempSubdirectory().FullName]);
        var second = await FlopsProcess.RunAsync([.. args, "--out", Directory.CreateTempSubdirectory().FullName]);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        double Accuracy(FlopsProcess.Result r) => JsonDocument.Parse(r.OutputLines[^1]).RootElement.GetProperty("accuracy").GetDouble();
        double Loss(FlopsProcess.Result r) => JsonDocument.Parse(r.OutputLines[^1]).RootElement.GetProperty("loss").GetDouble();
        Assert.Equal(Accuracy(first), Accuracy(second));
        Assert.Equal(Loss(first), Loss(second));
    }
}
