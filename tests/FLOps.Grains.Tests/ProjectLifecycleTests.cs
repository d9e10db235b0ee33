using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Services;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace FLOps.Grains.Tests;

[Collection(FlopsClusterCollection.Name)]
public sealed class ProjectLifecycleTests(FlopsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task A_three_device_project_completes_with_every_round_recorded()
    {
        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Specs.Simulated(devices: 3, rounds: 3));

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal([1, 2, 3], ended.Rounds.Select(r => r.Round));
        Assert.All(ended.Rounds, r => Assert.Equal(3, r.Participants));
        Assert.All(ended.Rounds, r => Assert.InRange(r.Accuracy!.Value, 0.5, 1.0));
        Assert.False(ended.Model.IsNone);
        Assert.Equal(ended.Rounds[^1].Model, ended.Model);
        Assert.Equal(3L * 3 * ended.Model.ParameterCount * sizeof(float), ended.BytesToCloud);
    }

    /// <summary>
    /// A close that fails after the aggregate was taken (its storage away) used to leave the round
    /// open with its timers spent and nothing able to close it: the project hung. The round now
    /// reloads, and the project's next tick has it close from its journal.
    /// </summary>
    [Fact]
    public async Task A_round_whose_close_fails_half_way_closes_on_the_next_tick_and_the_project_completes()
    {
        FlopsClusterFixture.FailNextEvaluations(1);
        try
        {
            var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), Specs.Simulated(devices: 3, rounds: 2), TimeSpan.FromSeconds(60));

            Assert.Equal(ProjectState.Completed, ended.State);
            Assert.Equal([1, 2], ended.Rounds.Select(r => r.Round));
            Assert.All(ended.Rounds, r => Assert.Equal(3, r.Participants));
            Assert.Equal(1, ended.Rounds[0].Resumptions);
        }
        finally
        {
            FlopsClusterFixture.FailNextEvaluations(0);
        }
    }

    [Fact]
    public async Task A_device_that_throws_is_left_out_of_its_round_and_the_project_still_completes()
    {
        var projectId = Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix);

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, Specs.Simulated(devices: 3, rounds: 2, minFit: 2));

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.All(ended.Rounds, r =>
        {
            Assert.Equal(2, r.Participants);
            Assert.Equal(3, r.Selected);
            var failure = Assert.Single(r.Failures);
            Assert.EndsWith(FlopsClusterFixture.FaultyDeviceMarker, failure.DeviceId);
            Assert.Contains("simulated device crash", failure.Reason);
        });
    }

    [Fact]
    public async Task A_round_whose_failures_leave_fewer_updates_than_min_fit_fails_the_project_with_a_reason()
    {
        var projectId = Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix);

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, Specs.Simulated(devices: 2, rounds: 2, minFit: 2));

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Contains("round 1", ended.Reason);
        Assert.Contains("minFitClients=2", ended.Reason);
    }

    [Fact]
    public async Task A_project_with_fewer_available_devices_than_required_fails_with_a_reason_instead_of_hanging()
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with
        {
            DataTag = "no-such-devices",
            Model = new ModelSpec { Kind = "softmax", Inputs = 4, Classes = 2 },
            Training = new TrainingSpec { Rounds = 1, MinFitClients = 2, MinAvailableClients = 2, RoundTimeoutSeconds = 1 },
            Simulation = null,
        };
        await Grains.GetGrain<IDeviceDirectoryGrain>(IDeviceDirectoryGrain.KeyFor(Specs.Tenant, "no-such-devices")).Add("lonely-device");

        var ended = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec, TimeSpan.FromSeconds(30));

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Contains("only 1 of minAvailableClients=2", ended.Reason);
        Assert.Empty(ended.Rounds);
    }

    [Fact]
    public async Task An_invalid_spec_is_refused_with_every_problem_named_and_nothing_is_started()
    {
        var project = Grains.GetGrain<IProjectGrain>(Specs.NewId());
        var spec = Specs.Simulated(devices: 0, rounds: 0) with { Model = new ModelSpec { Kind = "forest" } };

        var refused = await Assert.ThrowsAsync<InvalidProjectSpecException>(() => project.Submit(spec, Specs.Tenant));

        Assert.Contains(refused.Errors, e => e.Field == "training.rounds");
        Assert.Contains(refused.Errors, e => e.Field == "simulation.devices");
        Assert.Contains(refused.Errors, e => e.Field == "model.kind");
        var snapshot = await project.GetSnapshot();
        Assert.Equal(ProjectState.Pending, snapshot.State);
        Assert.Null(snapshot.Spec);
    }

    [Fact]
    public async Task A_project_cannot_be_submitted_twice()
    {
        var projectId = Specs.NewId();
        await ProjectWatcher.RunToEnd(Grains, projectId, Specs.Simulated(devices: 2, rounds: 1));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.GetGrain<IProjectGrain>(projectId).Submit(Specs.Simulated(devices: 2, rounds: 1), Specs.Tenant));
    }

    [Fact]
    public async Task An_update_after_the_round_closed_is_refused_with_a_reason_and_changes_nothing()
    {
        var projectId = Specs.NewId();
        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, Specs.Simulated(devices: 2, rounds: 1));
        var round = Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1));

        var receipt = await round.SubmitUpdate(new DeviceUpdate
        {
            DeviceId = $"{projectId}/sim-0000",
            Round = 1,
            Parameters = new Immutable<float[]>(new float[ended.Model.ParameterCount]),
            SampleCount = 10,
        });

        Assert.False(receipt.Accepted);
        Assert.Contains("closed", receipt.Reason);
        Assert.Equal(ended.Model, (await Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot()).Model);
    }

    [Fact]
    public async Task The_same_spec_and_seed_give_the_same_global_model_bit_for_bit()
    {
        var spec = Specs.Simulated(devices: 4, rounds: 2, partition: "dirichlet:0.5", seed: 11);

        var first = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);
        var second = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);

        Assert.Equal(ProjectState.Completed, first.State);
        Assert.Equal(first.Model, second.Model);
        Assert.Equal(first.Rounds.Select(r => r.Accuracy), second.Rounds.Select(r => r.Accuracy));
    }

    [Fact]
    public async Task The_specs_momentum_reaches_the_simulated_devices_training()
    {
        var plain = Specs.Simulated(devices: 2, rounds: 1, seed: 5);
        var heavy = plain with { Training = plain.Training with { Momentum = 0.9 } };

        var withoutMomentum = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), plain);
        var withMomentum = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), heavy);
        var again = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), heavy);

        Assert.Equal(ProjectState.Completed, withMomentum.State);
        Assert.NotEqual(withoutMomentum.Model, withMomentum.Model);
        Assert.Equal(withMomentum.Model, again.Model);
    }

    [Fact]
    public async Task Cancelling_a_running_project_stops_it_and_keeps_the_rounds_already_done()
    {
        var projectId = Specs.NewId();
        var project = Grains.GetGrain<IProjectGrain>(projectId);
        await project.Submit(Specs.Simulated(devices: 2, rounds: 1000), Specs.Tenant);

        var cancelled = await project.Cancel("test cancels");

        Assert.Equal(ProjectState.Cancelled, cancelled.State);
        Assert.Equal("test cancels", cancelled.Reason);
        var later = await project.GetSnapshot();
        Assert.Equal(ProjectState.Cancelled, later.State);
        Assert.True(later.Rounds.Count < 1000);
    }

    [Fact]
    public async Task The_model_of_a_completed_project_exports_to_onnx()
    {
        var projectId = Specs.NewId();
        await ProjectWatcher.RunToEnd(Grains, projectId, Specs.Simulated(devices: 2, rounds: 1));

        var onnx = await Grains.GetGrain<IProjectGrain>(projectId).ExportOnnx();

        Assert.NotNull(onnx);
        Assert.True(onnx.Length > 784 * 10 * sizeof(float));
    }

    [Fact]
    public async Task A_round_that_loses_its_activation_mid_round_resumes_from_its_journal_and_keeps_every_acknowledged_update()
    {
        var projectId = Specs.NewId();
        var project = Grains.GetGrain<IProjectGrain>(projectId);
        var spec = Specs.Simulated(devices: 6, rounds: 1) with { Simulation = new SimulationSpec { Devices = 6, Seed = 3, LatencySeconds = 4 } };
        var journal = fixture.SiloServices.GetRequiredService<IUpdateJournal>();
        await project.Submit(spec, Specs.Tenant);
        IReadOnlyList<JournaledUpdate> acknowledged = [];
        while (acknowledged.Count < 2)
        {
            await Task.Delay(50);
            acknowledged = await journal.ReadAsync(projectId, 1);
        }

        // Every idle activation goes, as with a dead silo: the round, the project (with its
        // observers) and the devices, with whatever they were doing in the background.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var ended = await ProjectWatcher.PollToEnd(project, TimeSpan.FromMinutes(1));

        Assert.Equal(ProjectState.Completed, ended.State);
        var round = Assert.Single(ended.Rounds);
        Assert.True(round.Resumptions >= 1, "the round was never reactivated");
        Assert.Equal(6, round.Participants);
        var aggregated = await Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1)).GetParticipantIds();
        Assert.Subset(aggregated.ToHashSet(), acknowledged.Select(u => u.DeviceId).ToHashSet());
    }
}
