using System.Collections.Concurrent;
using System.Diagnostics;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Telemetry;
using FLOps.Grains.Devices;
using FLOps.Grains.Telemetry;

namespace FLOps.Grains.Tests;

/// <summary>Issue 14, item 2: sync rounds on an uneven simulated fleet, with slow devices and devices that drop out.</summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class HeterogeneousFleetTests(FlopsClusterFixture fixture)
{
    [Fact]
    public async Task A_classic_project_with_dropouts_completes_and_leaves_the_silent_devices_out_as_stragglers_at_the_deadline()
    {
        // Seed 7, 8 devices, 3 rounds, 30 % dropout: some tasks are abandoned, never enough to miss the quorum of 2.
        var spec = Specs.WithDropouts(devices: 8, rounds: 3, dropoutRate: 0.3, seed: 7);

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, Specs.NewId("dropout-"), spec);

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(3, ended.Rounds.Count);
        Assert.True(ended.Rounds.Sum(r => r.FailureCount) > 0, "no task was abandoned");
        Assert.All(ended.Rounds, round =>
        {
            Assert.Equal(8, round.Selected);
            Assert.Equal(round.Selected, round.Participants + round.FailureCount);
            Assert.All(round.Failures, f => Assert.Equal("no update within the 3 s round timeout", f.Reason));
        });
    }

    [Fact]
    public async Task Dropouts_are_reproducible_the_same_spec_leaves_out_the_same_devices_in_every_round()
    {
        var spec = Specs.WithDropouts(devices: 6, rounds: 2, dropoutRate: 0.4, seed: 11);

        var first = await RunLeftOut(spec);
        var second = await RunLeftOut(spec);

        Assert.Equal(first, second);
        Assert.Contains(first, round => round.Length > 0);

        async Task<List<string[]>> RunLeftOut(ProjectSpec s)
        {
            var projectId = Specs.NewId("dropout-");
            var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, s);
            Assert.Equal(ProjectState.Completed, ended.State);

            // Device ids name the project; their indexes are what the seed decides on.
            return [.. ended.Rounds.Select(r => r.Failures.Select(f => f.DeviceId[(projectId.Length + 1)..]).Order(StringComparer.Ordinal).ToArray())];
        }
    }

    [Fact]
    public async Task Slower_devices_report_later_in_the_order_of_their_speed_factors()
    {
        var projectId = Specs.NewId("spread-");
        var reports = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FlopsInstrumentation.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                // A device's task span ends when the round has taken its update.
                if (activity.OperationName == FlopsTracing.DeviceTaskSpan && Equals(activity.GetTagItem("project"), projectId))
                {
                    reports.Enqueue((string)activity.GetTagItem("device")!);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // 3 devices of about 2,667 digits, factors 1, 4 and 7: 2 s of simulated compute between one report and the next.
        var spec = Specs.Simulated(devices: 3, rounds: 1) with { Simulation = new SimulationSpec { Devices = 3, Seed = 7, SpeedSpread = 7 } };
        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, spec);

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(3, ended.Rounds[0].Participants);
        var fleet = new SimulatedFleet { ProjectId = projectId, Dataset = "mnist", Seed = 7, Count = 3, SpeedSpread = 7 };
        var bySpeed = Enumerable.Range(0, 3).OrderBy(i => SimulatedHeterogeneity.SpeedFactor(fleet, i)).Select(fleet.DeviceId);
        Assert.Equal(bySpeed, reports);
    }
}
