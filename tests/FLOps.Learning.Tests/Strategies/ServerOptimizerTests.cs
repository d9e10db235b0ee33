using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests.Strategies;

/// <summary>FedAvgM and the FedOpt family over two rounds, against Flower's update rules worked by hand.</summary>
public class ServerOptimizerTests
{
    [Fact]
    public void FedAvgM_steps_against_the_pseudo_gradient_with_momentum()
    {
        var strategy = new FedAvgMStrategy(serverLearningRate: 0.5, serverMomentum: 0.9);

        // Round 1: fedavg of [0,2]×1 and [2,0]×3 is [1.5, 0.5]; Δ = [1,2] − [1.5,0.5] = [−0.5, 1.5];
        // v = Δ; next = [1,2] − 0.5·v = [1.25, 1.25].
        var first = Rounds.Run(strategy, [1, 2], 1, ([0, 2], 1), ([2, 0], 3));
        Rounds.AssertClose([1.25, 1.25], first);

        // Round 2: fedavg is [1.25, 0.25]; Δ = [0, 1]; v = 0.9·[−0.5, 1.5] + [0, 1] = [−0.45, 2.35];
        // next = [1.25, 1.25] − 0.5·v = [1.475, 0.075].
        var second = Rounds.Run(strategy, first, 2, ([1.25f, 0.25f], 7));
        Rounds.AssertClose([1.475, 0.075], second);
    }

    [Fact]
    public void FedAvgM_with_unit_rate_and_no_momentum_is_FedAvg()
    {
        var strategy = new FedAvgMStrategy(serverLearningRate: 1, serverMomentum: 0);

        Assert.Equal([2.5f, 5f], Rounds.Run(strategy, [9, 9], 1, ([1, 2], 1), ([3, 6], 3)));
    }

    [Fact]
    public void FedAdagrad_divides_by_the_root_of_the_summed_squared_steps()
    {
        var strategy = new FedAdagradStrategy(eta: 0.1, tau: 1e-9);

        // Round 1: Δ = [0.3, −0.4]; m = Δ (β1 = 0); v = Δ² = [0.09, 0.16];
        // next = 0.1·[0.3/0.3, −0.4/0.4] = [0.1, −0.1].
        var first = Rounds.Run(strategy, [0, 0], 1, ([0.3f, -0.4f], 5));
        Rounds.AssertClose([0.1, -0.1], first);

        // Round 2: fedavg [0.5, −0.1] so Δ = [0.4, 0]; v = [0.09 + 0.16, 0.16 + 0] = [0.25, 0.16];
        // next = [0.1 + 0.1·0.4/0.5, −0.1 + 0] = [0.18, −0.1].
        var second = Rounds.Run(strategy, first, 2, ([0.5f, -0.1f], 5));
        Rounds.AssertClose([0.18, -0.1], second);
    }

    [Fact]
    public void FedAdam_uses_Flowers_bias_corrected_step_with_the_round_number_plus_one()
    {
        var strategy = new FedAdamStrategy(eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9);

        // Round 1: Δ = 0.2; m = 0.1·0.2 = 0.02; v = 0.01·0.04 = 0.0004, √v = 0.02;
        // η₁ = 0.1·√(1 − 0.99²)/(1 − 0.9²) = 0.1·√0.0199/0.19; next = 0 + η₁·0.02/0.02 = η₁.
        var eta1 = 0.1 * Math.Sqrt(0.0199) / 0.19;
        var first = Rounds.Run(strategy, [0], 1, ([0.2f], 3));
        Rounds.AssertClose([eta1], first);
        Assert.Equal(0.074246, eta1, 6);

        // Round 2: Δ = 0.5 − η₁; m = 0.9·0.02 + 0.1·Δ; v = 0.99·0.0004 + 0.01·Δ²;
        // η₂ = 0.1·√(1 − 0.99³)/(1 − 0.9³); next = η₁ + η₂·m/√v.
        var delta = 0.5 - eta1;
        var m = (0.9 * 0.02) + (0.1 * delta);
        var v = (0.99 * 0.0004) + (0.01 * delta * delta);
        var eta2 = 0.1 * Math.Sqrt(1 - (0.99 * 0.99 * 0.99)) / (1 - (0.9 * 0.9 * 0.9));
        var second = Rounds.Run(strategy, first, 2, ([0.5f], 3));
        Rounds.AssertClose([eta1 + (eta2 * m / Math.Sqrt(v))], second, 1e-5);
    }

    [Fact]
    public void FedYogi_moves_the_second_moment_towards_the_squared_step_by_its_sign()
    {
        var strategy = new FedYogiStrategy(eta: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3);

        // Round 1: Δ = [0.2, −0.1]; m = 0.1·Δ = [0.02, −0.01];
        // v = 0 − 0.01·Δ²·sign(0 − Δ²) = 0.01·Δ² = [0.0004, 0.0001], √v = [0.02, 0.01];
        // next = 0.01·[0.02/(0.02 + 0.001), −0.01/(0.01 + 0.001)].
        var g1 = new[] { 0.01 * 0.02 / 0.021, 0.01 * -0.01 / 0.011 };
        var first = Rounds.Run(strategy, [0, 0], 1, ([0.2f, -0.1f], 4));
        Rounds.AssertClose(g1, first);

        // Round 2: fedavg [0, 0.5]. Coordinate 0: Δ = −g1[0], Δ² < v so v shrinks: v − 0.01·Δ².
        // Coordinate 1: Δ = 0.5 − g1[1], Δ² > v so v grows: v + 0.01·Δ².
        var d0 = -g1[0];
        var d1 = 0.5 - g1[1];
        var m0 = (0.9 * 0.02) + (0.1 * d0);
        var m1 = (0.9 * -0.01) + (0.1 * d1);
        var v0 = 0.0004 - (0.01 * d0 * d0);
        var v1 = 0.0001 + (0.01 * d1 * d1);
        var second = Rounds.Run(strategy, first, 2, ([0, 0.5f], 4));
        Rounds.AssertClose(
            [g1[0] + (0.01 * m0 / (Math.Sqrt(v0) + 1e-3)), g1[1] + (0.01 * m1 / (Math.Sqrt(v1) + 1e-3))],
            second,
            1e-5);
    }

    [Theory]
    [InlineData("fedavgm")]
    [InlineData("fedadam")]
    [InlineData("fedyogi")]
    [InlineData("fedadagrad")]
    public void Exported_state_carries_the_optimiser_to_a_fresh_strategy(string name)
    {
        float[] global = [0.5f, -1, 2];
        (float[], long)[][] rounds =
        [
            [([1, 0, 2], 3), ([0, -2, 1], 1)],
            [([0.2f, 0.3f, 0.4f], 2)],
            [([-1, 1, 0], 5), ([2, 2, 2], 5), ([0, 0, 0], 1)],
        ];

        var longLived = StrategyCatalog.Create(name);
        Assert.Null(longLived.ExportState());
        var kept = global;
        var carried = global;
        StrategyState? state = null;
        for (var r = 0; r < rounds.Length; r++)
        {
            kept = Rounds.Run(longLived, kept, r + 1, rounds[r]);
            (carried, state) = Rounds.RunFresh(name, null, state, carried, r + 1, rounds[r]);

            Assert.Equal(kept, carried);
            Assert.NotNull(state);
            Assert.Equal(r + 1, state.Scalars[ServerOptimizerStrategy.StepsKey]);
        }
    }

    [Fact]
    public void Imported_state_is_copied_so_later_changes_to_it_do_not_leak_in()
    {
        var source = new FedAdagradStrategy();
        Rounds.Run(source, [0, 0], 1, ([1, 1], 1));
        var state = source.ExportState()!;

        var target = new FedAdagradStrategy();
        target.ImportState(state);
        state.Vectors[FedOptStrategy.SecondMomentKey][0] = 1e6f;

        Assert.Equal(1f, target.ExportState()!.Vectors[FedOptStrategy.SecondMomentKey][0]);
    }

    [Fact]
    public void State_for_a_model_of_another_size_is_refused_at_the_start_of_a_round()
    {
        var source = new FedAdamStrategy();
        Rounds.Run(source, [0, 0], 1, ([1, 1], 1));
        var target = new FedAdamStrategy();
        target.ImportState(source.ExportState());

        var error = Assert.Throws<InvalidOperationException>(() => target.BeginRound(new float[3], 2));
        Assert.Contains("has 2 values but the global model has 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedprox")]
    [InlineData("fedmedian")]
    [InlineData("fedtrimmedavg")]
    [InlineData("krum")]
    [InlineData("multikrum")]
    public void Stateless_strategies_export_nothing_and_ignore_imports(string name)
    {
        var strategy = StrategyCatalog.Create(name);
        strategy.ImportState(new StrategyState(new Dictionary<string, float[]> { ["m"] = [1] }, new Dictionary<string, double>()));

        Rounds.Run(strategy, [0], 1, ([1], 1), ([2], 1), ([3], 1));

        Assert.Null(strategy.ExportState());
    }
}
