using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Learning.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace FLOps.Grains.Tests;

/// <summary>
/// Simulated devices configure themselves from their first task: accepting a project does nothing
/// per device, and devices a round never selects never exist.
/// </summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class LazySimulatedDevicesTests(FlopsClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task Submit_configures_no_device_and_the_devices_a_round_selects_build_their_shard_from_its_task_and_train()
    {
        var projectId = Specs.NewId();
        var spec = Specs.Simulated(devices: 8, rounds: 1) with { Training = Specs.Simulated(8, 1).Training with { FractionFit = 0.5 } };

        var ended = await ProjectWatcher.RunToEnd(Grains, projectId, spec);

        Assert.Equal(ProjectState.Completed, ended.State);
        var round = Assert.Single(ended.Rounds);
        Assert.Equal(4, round.Participants);
        Assert.InRange(round.Accuracy!.Value, 0.5, 1.0);
        var aggregated = await Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1, 0)).GetParticipantIds();
        var unselected = Enumerable.Range(0, 8).Select(i => ProjectGrain.SimulatedDeviceId(projectId, i)).Except(aggregated).ToList();
        Assert.Equal(4, unselected.Count);
        foreach (var id in unselected)
        {
            Assert.Null(await Grains.GetGrain<IDeviceGrain>(id).GetProfile());
        }
    }

    [Fact]
    public async Task The_same_seed_learns_the_same_model_whatever_the_project_is_called()
    {
        var spec = Specs.Simulated(devices: 4, rounds: 2, seed: 5);

        var first = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);
        var second = await ProjectWatcher.RunToEnd(Grains, Specs.NewId(), spec);

        Assert.Equal(first.Model.Hash, second.Model.Hash);
    }

    /// <summary>
    /// A project stored before devices were a count holds its devices' ids and may list some as
    /// unconfigured: it loads, forgets them, and its next tick runs the round on the same devices.
    /// </summary>
    [Fact]
    public async Task A_project_stored_with_its_simulated_device_ids_loads_and_completes()
    {
        var projectId = Specs.NewId();
        var spec = ProjectSpecValidator.Normalize(Specs.Simulated(devices: 3, rounds: 1), new FlopsLimits());
        var architecture = ProjectSpecValidator.ArchitectureOf(spec.Model);
        var model = await fixture.SiloServices.GetRequiredService<IModelStore>().PutAsync(ModelInitializer.Create(architecture, spec.Simulation!.Seed));
        var ids = Enumerable.Range(0, 3).Select(i => $"{projectId}/sim-{i:D4}").ToList();
        var stored = new ProjectGrainState
        {
            Spec = spec,
            Tenant = Specs.Tenant,
            State = ProjectState.Running,
            CurrentRound = 1,
            Model = model,
            CreatedAt = DateTimeOffset.UtcNow,
            SimulatedDevices = ids,
            UnconfiguredDevices = [ids[2]],
        };
        var storage = fixture.SiloServices.GetRequiredKeyedService<IGrainStorage>(FlopsStorage.ProviderName);
        await storage.WriteStateAsync(FlopsStorage.ProjectState, GrainId.Create("project", projectId), new GrainState<ProjectGrainState>(stored));

        // What the project's reminder does after a restart.
        var project = Grains.GetGrain<IProjectGrain>(projectId);
        await project.AsReference<IRemindable>().ReceiveReminder("project-tick", default);
        var ended = await ProjectWatcher.PollToEnd(project, TimeSpan.FromMinutes(1));

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(3, Assert.Single(ended.Rounds).Participants);
        Assert.Equal(ids, (await Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, 1, 0)).GetParticipantIds()).Order(StringComparer.Ordinal));
    }
}
