using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Telemetry;
using FLOps.Grains.Telemetry;

namespace FLOps.Grains.Tests;

[Collection(FlopsClusterCollection.Name)]
public sealed class SiloGaugeAndTraceTests(FlopsClusterFixture fixture)
{
    [Fact]
    public async Task A_completed_project_counts_under_completed_and_every_state_is_reported()
    {
        var before = Gauges.Read();

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, Specs.NewId("gauge-"), Specs.Simulated(devices: 3, rounds: 1));
        var after = Gauges.Read();

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(Enum.GetNames<ProjectState>().Order(), after.Keys.Where(k => k.Instrument == "flops.projects").Select(k => k.Label).Order());
        Assert.True(after[("flops.projects", "Completed")] >= 1);
        Assert.Equal(before.GetValueOrDefault(("flops.projects", "Completed")) + 1, after[("flops.projects", "Completed")]);
        Assert.Equal(before.GetValueOrDefault(("flops.projects", "Running")), after[("flops.projects", "Running")]);
    }

    [Fact]
    public async Task Simulated_devices_count_as_registered_and_active_in_the_default_cluster()
    {
        var before = Gauges.Read();

        await ProjectWatcher.RunToEnd(fixture.Grains, Specs.NewId("gauge-"), Specs.Simulated(devices: 4, rounds: 1));
        var after = Gauges.Read();

        Assert.Equal(before[("flops.devices.registered", "default")] + 4, after[("flops.devices.registered", "default")]);
        Assert.Equal(before[("flops.devices.active", "default")] + 4, after[("flops.devices.active", "default")]);
    }

    [Fact]
    public async Task Registered_devices_count_under_their_own_cluster_and_are_not_active_before_a_task()
    {
        var cluster = Specs.NewId("edge-");
        foreach (var i in Enumerable.Range(0, 3))
        {
            await fixture.Grains.GetGrain<IDeviceGrain>($"{cluster}-device-{i}").Register(
                new DeviceProfile { Name = $"device {i}", DataTags = ["mnist"], Cluster = cluster, SampleCount = 10 });
        }

        var gauges = Gauges.Read();

        Assert.Equal(3, gauges[("flops.devices.registered", cluster)]);
        Assert.Equal(0, gauges[("flops.devices.active", cluster)]);
    }

    [Fact]
    public void The_silo_reports_its_role_and_cluster_once()
    {
        var silos = Gauges.ReadWithLabels("flops.silo.info");

        var silo = Assert.Single(silos);
        Assert.Equal("cloud", silo.Labels["role"]);
        Assert.Equal("cloud", silo.Labels["cluster"]);
        Assert.Equal(1, silo.Value);
    }

    [Fact]
    public async Task An_open_round_reports_its_deadline_until_it_closes()
    {
        var projectId = Specs.NewId("deadline-");
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Simulation = new SimulationSpec { Devices = 2, Seed = 7, LatencySeconds = 3 } };
        var project = fixture.Grains.GetGrain<IProjectGrain>(projectId);
        var before = DateTimeOffset.UtcNow;

        await project.Submit(spec, Specs.Tenant);
        var deadline = Gauges.ByProject("flops.round.deadline").GetValueOrDefault(projectId);

        // The round opened during Submit with a 60 s deadline (unix seconds, millisecond precision).
        Assert.InRange(deadline, (before + TimeSpan.FromSeconds(60)).ToUnixTimeMilliseconds() / 1000.0, DateTimeOffset.UtcNow.AddSeconds(60).ToUnixTimeMilliseconds() / 1000.0);
        Assert.Equal(ProjectState.Completed, (await ProjectWatcher.PollToEnd(project, TimeSpan.FromMinutes(1))).State);
        Assert.DoesNotContain(projectId, Gauges.ByProject("flops.round.deadline").Keys);
    }

    [Fact]
    public async Task A_cancelled_project_s_round_no_longer_reports_a_deadline()
    {
        var projectId = Specs.NewId("deadline-");
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Simulation = new SimulationSpec { Devices = 2, Seed = 7, LatencySeconds = 30 } };
        var project = fixture.Grains.GetGrain<IProjectGrain>(projectId);

        await project.Submit(spec, Specs.Tenant);
        Assert.Contains(projectId, Gauges.ByProject("flops.round.deadline").Keys);
        await project.Cancel("test");

        Assert.DoesNotContain(projectId, Gauges.ByProject("flops.round.deadline").Keys);
    }

    [Fact]
    public async Task The_project_grain_reports_its_last_round_s_accuracy_and_loss_while_active_and_not_after_deactivation()
    {
        var projectId = Specs.NewId("model-");

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.Simulated(devices: 3, rounds: 2));

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(ended.Rounds[^1].Accuracy!.Value, Gauges.ByProject("flops.model.accuracy")[projectId]);
        Assert.Equal(ended.Rounds[^1].Loss!.Value, Gauges.ByProject("flops.model.loss")[projectId]);

        // Deactivated (as when Orleans collects the idle grain or its silo stops), the project is
        // reported by no silo; reactivated, by the one that holds it, from its stored rounds.
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Gauges.ByProject("flops.model.accuracy").ContainsKey(projectId) && !limit.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        Assert.DoesNotContain(projectId, Gauges.ByProject("flops.model.accuracy").Keys);
        Assert.DoesNotContain(projectId, Gauges.ByProject("flops.model.loss").Keys);

        await fixture.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot();
        Assert.Equal(ended.Rounds[^1].Accuracy!.Value, Gauges.ByProject("flops.model.accuracy")[projectId]);
    }

    [Fact]
    public async Task A_project_leaves_one_round_span_per_round_and_a_device_task_span_per_update_in_the_same_trace()
    {
        var projectId = Specs.NewId("trace-");
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FlopsInstrumentation.ActivitySourceName || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == FlopsInstrumentation.ActivitySourceName && Equals(activity.GetTagItem("project"), projectId))
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.Simulated(devices: 3, rounds: 2));

        Assert.Equal(ProjectState.Completed, ended.State);
        var rounds = spans.Where(s => s.OperationName == FlopsTracing.RoundSpan).OrderBy(s => (int)s.GetTagItem("round")!).ToList();
        Assert.Equal([1, 2], rounds.Select(s => (int)s.GetTagItem("round")!));
        Assert.All(rounds, r =>
        {
            Assert.Equal("closed", r.GetTagItem("outcome"));
            Assert.Equal(3, r.GetTagItem("participants"));
            Assert.Equal(ActivityStatusCode.Unset, r.Status);
        });

        var tasks = spans.Where(s => s.OperationName == FlopsTracing.DeviceTaskSpan).ToList();
        Assert.Equal(6, tasks.Count);
        Assert.All(tasks, t =>
        {
            Assert.Equal("accepted", t.GetTagItem("outcome"));
            Assert.StartsWith(projectId + "/sim-", (string)t.GetTagItem("device")!, StringComparison.Ordinal);

            // The task was handed out inside its round's span: Orleans carried the trace to the device.
            var round = rounds.Single(r => Equals(r.GetTagItem("round"), t.GetTagItem("round")));
            Assert.Equal(round.TraceId, t.TraceId);
        });
    }

    /// <summary>The latest value of each FLOps gauge series, read the way an exporter reads them.</summary>
    private static class Gauges
    {
        public static Dictionary<(string Instrument, string Label), long> Read() =>
            ReadAll().Where(m => m.Labels.Count == 1).ToDictionary(m => (m.Instrument, (string)m.Labels.Values.Single()!), m => m.Value);

        public static List<(string Instrument, Dictionary<string, object?> Labels, long Value)> ReadWithLabels(string instrument) =>
            ReadAll().Where(m => m.Instrument == instrument).ToList();

        /// <summary>A gauge of doubles with one series per project.</summary>
        public static Dictionary<string, double> ByProject(string instrument)
        {
            var measured = new Dictionary<string, double>(StringComparer.Ordinal);
            using var listener = new MeterListener
            {
                InstrumentPublished = (published, l) =>
                {
                    if (published.Meter.Name == FlopsInstrumentation.MeterName && published.Name == instrument)
                    {
                        l.EnableMeasurementEvents(published);
                    }
                },
            };
            listener.SetMeasurementEventCallback<double>((_, value, tags, _) => measured.Add((string)tags.ToArray().Single(t => t.Key == "project").Value!, value));
            listener.Start();
            listener.RecordObservableInstruments();
            return measured;
        }

        private static List<(string Instrument, Dictionary<string, object?> Labels, long Value)> ReadAll()
        {
            var measured = new List<(string, Dictionary<string, object?>, long)>();
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == FlopsInstrumentation.MeterName && instrument.Name is "flops.projects" or "flops.devices.registered" or "flops.devices.active" or "flops.silo.info")
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
                measured.Add((instrument.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value), value)));
            listener.Start();
            listener.RecordObservableInstruments();
            return measured;
        }
    }
}
