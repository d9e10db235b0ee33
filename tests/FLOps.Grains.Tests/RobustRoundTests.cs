using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Learning.Aggregation;

namespace FLOps.Grains.Tests;

/// <summary>Strategy state across rounds, deadlines and stragglers, retries, validation, privacy and byzantine devices.</summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class RobustRoundTests(FlopsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private static ProjectSpec WithStrategy(ProjectSpec spec, string name, Dictionary<string, double>? parameters = null) =>
        spec with { Strategy = new StrategySpec { Name = name, Parameters = parameters } };

    [Fact]
    public async Task A_server_optimiser_carries_its_state_from_round_to_round()
    {
        var spec = WithStrategy(Specs.Simulated(devices: 3, rounds: 3), "fedadam");

        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.All(ended.Rounds, r => Assert.NotNull(r.StrategyState));

        // Each round's step counter continues the previous round's: round k imported round k−1's export.
        Assert.Equal([1.0, 2.0, 3.0], ended.Rounds.Select(r => r.StrategyState!.Scalars[ServerOptimizerStrategy.StepsKey]));
        Assert.Equal([FedOptStrategy.FirstMomentKey, FedOptStrategy.SecondMomentKey], ended.Rounds[0].StrategyState!.Vectors.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(ended.Rounds[0].StrategyState!.Vectors[FedOptStrategy.FirstMomentKey], ended.Rounds[1].StrategyState!.Vectors[FedOptStrategy.FirstMomentKey]);
    }

    [Fact]
    public async Task FedAvgM_without_momentum_is_FedAvg_bit_for_bit_and_with_momentum_it_is_not()
    {
        var spec = Specs.Simulated(devices: 3, rounds: 3, seed: 5);

        var fedavg = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);
        var noMomentum = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), WithStrategy(spec, "fedavgm", new() { ["serverMomentum"] = 0 }));
        var momentum = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), WithStrategy(spec, "fedavgm", new() { ["serverMomentum"] = 0.9 }));

        Assert.Equal(ProjectState.Completed, momentum.State);
        Assert.Equal(fedavg.Rounds.Select(r => r.Model), noMomentum.Rounds.Select(r => r.Model));

        // Round 1 has no momentum yet (v = Δ), so the models part from round 2 on.
        Assert.Equal(fedavg.Rounds[0].Model, momentum.Rounds[0].Model);
        Assert.NotEqual(fedavg.Rounds[1].Model, momentum.Rounds[1].Model);
        Assert.NotEqual(fedavg.Model, momentum.Model);
        Assert.NotNull(momentum.Rounds[^1].StrategyState);
        Assert.Null(fedavg.Rounds[^1].StrategyState);
    }

    [Fact]
    public async Task A_round_closes_at_its_deadline_with_the_quorum_and_refuses_and_counts_the_stragglers_late_updates()
    {
        // Device i of 3 uploads 6·(i+1) s after training; the round waits 9 s and needs one update.
        // 3 s either side of the deadline keeps the outcome the same on a loaded 2-core machine.
        var projectId = Specs.NewId();
        var spec = Specs.Simulated(devices: 3, rounds: 1, minFit: 1) with
        {
            Training = new TrainingSpec { Rounds = 1, MinFitClients = 1, MinAvailableClients = 1, LearningRate = 0.1, RoundTimeoutSeconds = 9 },
            Simulation = new SimulationSpec { Devices = 3, Seed = 7, LatencySeconds = 18 },
        };

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, spec);

        Assert.True(ended.State == ProjectState.Completed, ended.Reason);
        var round = Assert.Single(ended.Rounds);
        Assert.Equal(1, round.Participants);
        var roundGrain = Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1));
        Assert.Equal([$"{projectId}/sim-0000"], await roundGrain.GetParticipantIds());
        Assert.InRange(round.Seconds, 8.9, 12);
        Assert.Equal([$"{projectId}/sim-0001", $"{projectId}/sim-0002"], round.Failures.Select(f => f.DeviceId).Order(StringComparer.Ordinal));
        Assert.All(round.Failures, f => Assert.Contains("no update within the 9 s round timeout", f.Reason));

        var refusals = await roundGrain.GetRefusals();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (refusals.AfterClose < 2)
        {
            await Task.Delay(200, limit.Token);
            refusals = await roundGrain.GetRefusals();
        }

        Assert.Equal(2, refusals.Count);
        Assert.All(refusals.Reasons, r => Assert.Contains("round 1 is closed", r));
        var after = await Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot();
        Assert.Equal(ended.Model, after.Model);
    }

    [Fact]
    public async Task A_round_that_misses_its_quorum_is_retried_with_a_fresh_attempt_and_each_failure_is_recorded()
    {
        var projectId = Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix);
        var spec = Specs.Simulated(devices: 2, rounds: 1, minFit: 2);
        spec = spec with { Training = spec.Training with { OnRoundFailure = "retry", MaxRoundRetries = 2 } };

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, spec);

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Contains("round 1 (after 3 attempts)", ended.Reason);
        Assert.Equal([0, 1, 2], ended.FailedAttempts.Select(a => a.Attempt));
        Assert.All(ended.FailedAttempts, a =>
        {
            Assert.Equal(1, a.Round);
            Assert.Contains("minFitClients=2", a.Reason);
        });
    }

    [Fact]
    public async Task A_retry_selects_afresh_and_can_complete_the_round_its_first_attempt_failed()
    {
        // Two of three devices per round, both needed; device 1 always crashes. The first seed
        // whose first attempt picks device 1 shows a retry that leaves it out and completes.
        for (var seed = 1; seed <= 20; seed++)
        {
            var projectId = Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix);
            var spec = Specs.Simulated(devices: 3, rounds: 1, minFit: 2, seed: seed);
            spec = spec with { Training = spec.Training with { FractionFit = 0.6, OnRoundFailure = "retry", MaxRoundRetries = 10 } };

            var ended = await ProjectWatcher.RunToEnd(Grains, projectId, spec);

            Assert.True(ended.State == ProjectState.Completed, ended.Reason);
            if (ended.FailedAttempts.Count == 0)
            {
                continue;
            }

            var round = Assert.Single(ended.Rounds);
            Assert.Equal(ended.FailedAttempts.Count, round.Attempt);
            Assert.Equal([$"{projectId}/sim-0000", $"{projectId}/sim-0002"], await Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1, round.Attempt)).GetParticipantIds());
            Assert.All(ended.FailedAttempts, a => Assert.Contains("simulated device crash", a.Reason));
            return;
        }

        Assert.Fail("no seed in 1..20 had a failed first attempt");
    }

    [Fact]
    public async Task The_default_policy_fails_the_project_at_the_first_failed_round()
    {
        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix), Specs.Simulated(devices: 2, rounds: 1, minFit: 2));

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Single(ended.FailedAttempts);
    }

    [Fact]
    public async Task Updates_above_the_norm_bound_are_rejected_with_the_reason_recorded_on_the_round()
    {
        var spec = Specs.Simulated(devices: 4, rounds: 2) with
        {
            Simulation = new SimulationSpec { Devices = 4, Seed = 7, ByzantineDevices = 1, ByzantineAttack = "flip" },
            Validation = new ValidationSpec { MaxUpdateNorm = 5 },
        };
        var projectId = Specs.NewId();

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, spec);

        Assert.Equal(ProjectState.Completed, ended.State);
        foreach (var r in ended.Rounds)
        {
            var rejection = Assert.Single(r.Rejections);
            Assert.Equal($"{projectId}/sim-0000", rejection.DeviceId);
            Assert.Contains("exceeds maxUpdateNorm 5", rejection.Reason);
            Assert.Equal(3, r.Participants);
            Assert.DoesNotContain(rejection.DeviceId, await Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, r.Round)).GetParticipantIds());
        }
    }

    [Fact]
    public async Task A_round_whose_updates_are_all_rejected_fails_with_the_reasons()
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Validation = new ValidationSpec { MaxUpdateNorm = 1e-6 } };

        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Contains("exceeds maxUpdateNorm", ended.Reason);
    }

    [Fact]
    public async Task Differential_privacy_records_its_bound_and_multiplier_and_without_noise_or_clipping_changes_nothing()
    {
        var spec = Specs.Simulated(devices: 3, rounds: 2, seed: 9);

        var plain = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);
        var loose = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec with { Privacy = new PrivacySpec { ClippingNorm = 1e6, NoiseMultiplier = 0 } });
        var noisy = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec with { Privacy = new PrivacySpec { ClippingNorm = 1, NoiseMultiplier = 0.5, Seed = 3 } });
        var noisyAgain = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec with { Privacy = new PrivacySpec { ClippingNorm = 1, NoiseMultiplier = 0.5, Seed = 3 } });

        Assert.Equal(plain.Model, loose.Model);
        Assert.Null(plain.Rounds[0].ClippingNorm);
        Assert.All(noisy.Rounds, r =>
        {
            Assert.Equal(1, r.ClippingNorm);
            Assert.Equal(0.5, r.NoiseMultiplier);
        });
        Assert.NotEqual(plain.Model, noisy.Model);
        Assert.Equal(noisy.Model, noisyAgain.Model);
    }

    [Fact]
    public async Task Two_byzantine_devices_of_ten_wreck_FedAvg_while_median_trimmed_mean_and_krum_stay_within_two_points_of_their_clean_runs()
    {
        var clean = Specs.Simulated(devices: 10, rounds: 5) with { Simulation = new SimulationSpec { Devices = 10, Seed = 7 } };
        var poisoned = clean with { Simulation = clean.Simulation with { ByzantineDevices = 2, ByzantineAttack = "flip" } };
        async Task<double> Accuracy(ProjectSpec spec, string strategy, Dictionary<string, double>? parameters = null)
        {
            var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), WithStrategy(spec, strategy, parameters));
            Assert.Equal(ProjectState.Completed, ended.State);
            return ended.Rounds[^1].Accuracy!.Value;
        }

        var fedavgClean = await Accuracy(clean, "fedavg");
        var fedavgPoisoned = await Accuracy(poisoned, "fedavg");
        Assert.True(fedavgPoisoned < fedavgClean - 0.3, $"fedavg: clean {fedavgClean}, poisoned {fedavgPoisoned}");

        foreach (var (strategy, parameters) in new (string, Dictionary<string, double>?)[]
        {
            ("fedmedian", null),
            ("fedtrimmedavg", new() { ["beta"] = 0.2 }),
            ("krum", new() { ["f"] = 2 }),
        })
        {
            var cleanAccuracy = await Accuracy(clean, strategy, parameters);
            var poisonedAccuracy = await Accuracy(poisoned, strategy, parameters);
            Assert.True(Math.Abs(poisonedAccuracy - cleanAccuracy) <= 0.02, $"{strategy}: clean {cleanAccuracy}, poisoned {poisonedAccuracy}");
            Assert.True(cleanAccuracy > fedavgClean - 0.1, $"{strategy}: clean {cleanAccuracy}, fedavg clean {fedavgClean}");
        }
    }
}
