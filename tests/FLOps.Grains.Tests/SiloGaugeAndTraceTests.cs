using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
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
                new DeviceProfile { Name = $"device {i}", DataTags = ["mnist"], Cluster = cluster, SampleCount = 10 }, tokenHash: "00");
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
    public async Task A_project_leaves_one_round_span_per_round_and_a_device_task_span_per_update_in_the_same_trace()
    {
        var projectId = Specs.NewId("trace-");
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FlopsTracing.SourceName || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == FlopsTracing.SourceName && Equals(activity.GetTagItem("project"), projectId))
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

        private static List<(string Instrument, Dictionary<string, object?> Labels, long Value)> ReadAll()
        {
            var measured = new List<(string, Dictionary<string, object?>, long)>();
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == FlopsMetrics.MeterName && instrument.Name is "flops.projects" or "flops.devices.registered" or "flops.devices.active" or "flops.silo.info")
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
