using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Abstractions.Telemetry;
using FLOps.Grains.Telemetry;
using FLOps.Learning.Validation;

namespace FLOps.Grains.Tests;

[Collection(FlopsClusterCollection.Name)]
public sealed class FlopsMetricsTests(FlopsClusterFixture fixture)
{
    [Fact]
    public async Task A_project_records_its_rounds_updates_and_bytes_under_its_own_id()
    {
        var projectId = Specs.NewId("metrics-");
        using var recorded = new Recorder(projectId);

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.Simulated(devices: 3, rounds: 2));
        recorded.Observe();

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(2, recorded.Count("flops.rounds.completed", ("outcome", "closed"), ("level", "flat")));
        Assert.Equal(2, recorded.Count("flops.round.duration", ("level", "flat")));
        Assert.Equal([3.0, 3.0], recorded.Values("flops.round.participants", ("level", "flat")));
        Assert.Equal(6, recorded.Count("flops.updates.received", ("outcome", "accepted")));
        Assert.Equal(6.0 * 7850 * sizeof(float), recorded.Values("flops.update.bytes").Sum());
        Assert.Equal(ended.Rounds[^1].Accuracy!.Value, recorded.Values("flops.model.accuracy")[^1]);
        Assert.DoesNotContain(recorded.All, m => m.Tags.ContainsKey("device"));
    }

    [Fact]
    public async Task A_round_counts_the_participants_it_left_out_by_reason_when_it_closes()
    {
        // 4 devices: sim-0000 sends noise that maxUpdateNorm rejects (3 s after training), sim-0001
        // crashes (the fixture's faulty device), sim-0002 and sim-0003 would upload after 9 and 12 s,
        // past the 7 s deadline. No usable update: the round fails, and still counts its stragglers.
        var projectId = Specs.NewId(FlopsClusterFixture.FaultyProjectPrefix);
        using var recorded = new Recorder(projectId);
        var spec = Specs.Simulated(devices: 4, rounds: 1, minFit: 1) with
        {
            Training = new TrainingSpec { Rounds = 1, MinFitClients = 1, MinAvailableClients = 1, LearningRate = 0.1, RoundTimeoutSeconds = 7 },
            Validation = new ValidationSpec { MaxUpdateNorm = 20 },
            Simulation = new SimulationSpec { Devices = 4, Seed = 7, LatencySeconds = 12, ByzantineDevices = 1, ByzantineAttack = "noise" },
        };

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, spec);

        Assert.Equal(ProjectState.Failed, ended.State);
        Assert.Equal(1, recorded.Count("flops.rounds.completed", ("outcome", "failed"), ("level", "flat")));
        Assert.Equal(2, recorded.Values("flops.round.stragglers", ("reason", "timeout")).Sum());
        Assert.Equal(1, recorded.Values("flops.round.stragglers", ("reason", "failed")).Sum());
        Assert.Equal(1, recorded.Values("flops.round.stragglers", ("reason", "rejected")).Sum());
    }

    [Fact]
    public async Task A_round_without_stragglers_still_counts_zero_for_each_reason()
    {
        var projectId = Specs.NewId("metrics-");
        using var recorded = new Recorder(projectId);

        await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.Simulated(devices: 2, rounds: 1));

        Assert.Equal(["failed", "rejected", "timeout"], recorded.All.Where(m => m.Instrument == "flops.round.stragglers").Select(m => (string)m.Tags["reason"]!).Order(StringComparer.Ordinal));
        Assert.All(recorded.Values("flops.round.stragglers"), v => Assert.Equal(0, v));
    }

    [Fact]
    public async Task A_task_a_simulated_device_abandons_counts_as_a_timeout_straggler()
    {
        var projectId = Specs.NewId("metrics-");
        using var recorded = new Recorder(projectId);
        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.WithDropouts(devices: 8, rounds: 2, dropoutRate: 0.3, seed: 7));

        Assert.Equal(ProjectState.Completed, ended.State);
        var leftOut = ended.Rounds.Sum(r => r.FailureCount);
        Assert.True(leftOut > 0, "no task was abandoned");
        Assert.Equal(leftOut, recorded.Values("flops.round.stragglers", ("reason", "timeout")).Sum());
        Assert.Equal(0, recorded.Values("flops.round.stragglers", ("reason", "failed")).Sum());
    }

    [Fact]
    public async Task Hierarchical_rounds_count_once_per_level_edge_for_inner_rounds_and_cloud_for_cycles()
    {
        var projectId = Specs.NewId("metrics-");
        using var recorded = new Recorder(projectId);
        var flat = Specs.Simulated(devices: 6, rounds: 1);
        var spec = flat with
        {
            Training = flat.Training with { Mode = "hierarchical", Cycles = 2 },
            Simulation = flat.Simulation! with { Clusters = ["edge-a", "edge-b"] },
        };

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, spec);

        Assert.True(ended.State == ProjectState.Completed, ended.Reason);
        Assert.Equal(4, recorded.Count("flops.rounds.completed", ("outcome", "closed"), ("level", "edge")));
        Assert.Equal(2, recorded.Count("flops.rounds.completed", ("outcome", "closed"), ("level", "cloud")));
        Assert.Equal(0, recorded.Count("flops.rounds.completed", ("level", "flat")));
        Assert.Equal(6, recorded.Count("flops.round.duration"));
        Assert.Equal([3.0, 3.0, 3.0, 3.0], recorded.Values("flops.round.participants", ("level", "edge")));
        Assert.Equal([2.0, 2.0], recorded.Values("flops.round.participants", ("level", "cloud")));
        Assert.Equal(["edge-a", "edge-a", "edge-b", "edge-b"], recorded.All.Where(m => m.Instrument == "flops.edge.bytes_to_cloud").Select(m => (string)m.Tags["cluster"]!).Order(StringComparer.Ordinal));
        Assert.Equal(4, recorded.Count("flops.round.stragglers", ("reason", "timeout")));
    }

    [Fact]
    public void Every_refusal_kind_and_update_problem_has_its_own_reason_label()
    {
        var refusals = Enum.GetValues<UpdateRefusal>().Where(r => r is not (UpdateRefusal.None or UpdateRefusal.Malformed)).Select(FlopsMetrics.ReasonOf).ToList();
        var problems = Enum.GetValues<UpdateProblem>().Where(p => p != UpdateProblem.None).Select(FlopsMetrics.ReasonOf).ToList();

        Assert.Equal(["not_selected", "closed", "duplicate", "stale", "wrong_task"], refusals);
        Assert.Equal(["shape", "sample_count", "not_finite", "norm_bound"], problems);
    }

    /// <summary>Every FLOps measurement of one project, as an exporter would receive it.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _recorded = new();
        private readonly MeterListener _listener;
        private readonly string _projectId;

        public Recorder(string projectId)
        {
            _projectId = projectId;
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == FlopsInstrumentation.MeterName)
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>(Record);
            _listener.SetMeasurementEventCallback<double>(Record);
            _listener.Start();
        }

        public IReadOnlyList<(string Instrument, double Value, Dictionary<string, object?> Tags)> All => [.. _recorded];

        /// <summary>Reads the observable gauges now.</summary>
        public void Observe() => _listener.RecordObservableInstruments();

        public int Count(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Count();

        public List<double> Values(string instrument, params (string Key, string Value)[] tags) => [.. Matching(instrument, tags).Select(m => m.Value)];

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Matching(string instrument, (string Key, string Value)[] tags) =>
            _recorded.Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)));

        private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (Equals(labels.GetValueOrDefault("project"), _projectId))
            {
                _recorded.Enqueue((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), labels));
            }
        }
    }
}
