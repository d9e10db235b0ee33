using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests.Strategies;

public class StrategyCatalogTests
{
    [Fact]
    public void The_catalog_lists_Flowers_strategies_in_order()
    {
        Assert.Equal(
            ["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad", "fedmedian", "fedtrimmedavg", "krum", "multikrum"],
            StrategyCatalog.Names);
    }

    [Fact]
    public void Every_name_creates_its_strategy_with_defaults_in_any_case()
    {
        foreach (var name in StrategyCatalog.Names)
        {
            Assert.Equal(name, StrategyCatalog.Create(name).Name);
            Assert.Equal(name, StrategyCatalog.Create($" {name.ToUpperInvariant()} ", new Dictionary<string, double>()).Name);
        }
    }

    [Fact]
    public void Missing_parameters_take_Flowers_defaults()
    {
        var adam = Assert.IsType<FedAdamStrategy>(StrategyCatalog.Create("fedadam"));
        var yogi = Assert.IsType<FedYogiStrategy>(StrategyCatalog.Create("fedyogi"));
        var adagrad = Assert.IsType<FedAdagradStrategy>(StrategyCatalog.Create("fedadagrad"));
        var avgm = Assert.IsType<FedAvgMStrategy>(StrategyCatalog.Create("fedavgm"));

        Assert.Equal((0.1, 0.9, 0.99, 1e-9), (adam.Eta, adam.Beta1, adam.Beta2, adam.Tau));
        Assert.Equal((0.01, 0.9, 0.99, 1e-3), (yogi.Eta, yogi.Beta1, yogi.Beta2, yogi.Tau));
        Assert.Equal((0.1, 0.0, 1e-9), (adagrad.Eta, adagrad.Beta1, adagrad.Tau));
        Assert.Equal((1.0, 0.9), (avgm.ServerLearningRate, avgm.ServerMomentum));
        Assert.Equal(0.2, Assert.IsType<FedTrimmedAvgStrategy>(StrategyCatalog.Create("fedtrimmedavg")).Beta);
        Assert.Equal(0, Assert.IsType<KrumStrategy>(StrategyCatalog.Create("krum")).ByzantineCount);
        Assert.Equal(0, Assert.IsType<MultiKrumStrategy>(StrategyCatalog.Create("multikrum")).KeepCount);
        Assert.Equal(0.1f, StrategyCatalog.Create("fedprox").ProximalMu);
    }

    [Fact]
    public void Given_parameters_are_used_whatever_their_case()
    {
        var adam = Assert.IsType<FedAdamStrategy>(StrategyCatalog.Create("fedadam", new Dictionary<string, double> { ["ETA"] = 0.5, ["beta2"] = 0.9 }));
        var multiKrum = Assert.IsType<MultiKrumStrategy>(StrategyCatalog.Create("multikrum", new Dictionary<string, double> { ["f"] = 2, ["m"] = 3 }));

        Assert.Equal((0.5, 0.9), (adam.Eta, adam.Beta2));
        Assert.Equal((2, 3), (multiKrum.ByzantineCount, multiKrum.KeepCount));
        Assert.Equal(0.5f, StrategyCatalog.Create("fedprox", new Dictionary<string, double> { ["mu"] = 0.5 }).ProximalMu);
    }

    [Fact]
    public void Only_FedProx_asks_clients_for_a_proximal_term()
    {
        foreach (var name in StrategyCatalog.Names.Where(n => n != "fedprox"))
        {
            Assert.Equal(0f, StrategyCatalog.Create(name).ProximalMu);
        }
    }

    [Fact]
    public void FedProx_aggregates_as_FedAvg()
    {
        (float[], long)[] updates = [([1, 2], 1), ([3, 6], 3)];

        Assert.Equal(Rounds.Run(new FedAvgStrategy(), [0, 0], 1, updates), Rounds.Run(new FedProxStrategy(mu: 1), [0, 0], 1, updates));
    }

    [Theory]
    [InlineData("fedtrimmedavg", "beta", 0.5, "fedtrimmedavg: parameter 'beta' must be in [0, 0.5) (got 0.5)")]
    [InlineData("fedtrimmedavg", "beta", -0.1, "fedtrimmedavg: parameter 'beta' must be in [0, 0.5) (got -0.1)")]
    [InlineData("krum", "f", -1, "krum: parameter 'f' must be a whole number in [0, 10000] (got -1)")]
    [InlineData("krum", "f", 1.5, "krum: parameter 'f' must be a whole number in [0, 10000] (got 1.5)")]
    [InlineData("multikrum", "m", -2, "multikrum: parameter 'm' must be a whole number in [0, 100000] (got -2)")]
    [InlineData("fedprox", "mu", -1, "fedprox: parameter 'mu' must be in [0, 1000] (got -1)")]
    [InlineData("fedprox", "mu", double.NaN, "fedprox: parameter 'mu' must be in [0, 1000] (got NaN)")]
    [InlineData("fedavgm", "serverMomentum", 1, "fedavgm: parameter 'serverMomentum' must be in [0, 1) (got 1)")]
    [InlineData("fedavgm", "serverLearningRate", 0, "fedavgm: parameter 'serverLearningRate' must be in (0, 1000] (got 0)")]
    [InlineData("fedadam", "beta2", 1, "fedadam: parameter 'beta2' must be in [0, 1) (got 1)")]
    [InlineData("fedyogi", "tau", 0, "fedyogi: parameter 'tau' must be in (0, 1] (got 0)")]
    [InlineData("fedadagrad", "eta", double.PositiveInfinity, "fedadagrad: parameter 'eta' must be in (0, 1000] (got Infinity)")]
    [InlineData("fedavg", "foo", 1, "fedavg: unknown parameter 'foo'; it takes no parameters")]
    [InlineData("fedmedian", "beta", 0.1, "fedmedian: unknown parameter 'beta'; it takes no parameters")]
    [InlineData("fedadagrad", "beta2", 0.5, "fedadagrad: unknown parameter 'beta2'; accepted: eta, beta1, tau")]
    [InlineData("krum", "foo", 1, "krum: unknown parameter 'foo'; accepted: f")]
    public void Bad_parameters_are_refused_with_one_line_naming_the_parameter_and_its_range(string name, string parameter, double value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create(name, new Dictionary<string, double> { [parameter] = value }));

        Assert.Equal(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_parameter_given_twice_in_different_case_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("fedprox", new Dictionary<string, double> { ["mu"] = 1, ["MU"] = 2 }));

        Assert.Equal("fedprox: parameter 'mu' is given more than once", error.Message);
    }

    [Fact]
    public void An_unknown_strategy_is_refused_with_the_list_of_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("fedsgd"));

        Assert.StartsWith(
            "Unknown strategy 'fedsgd'; known: fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad, fedmedian, fedtrimmedavg, krum, multikrum",
            error.Message,
            StringComparison.Ordinal);
    }
}
