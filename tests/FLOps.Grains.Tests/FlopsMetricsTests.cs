using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Telemetry;

namespace FLOps.Grains.Tests;

[Collection(FlopsClusterCollection.Name)]
public sealed class FlopsMetricsTests(FlopsClusterFixture fixture)
{
    [Fact]
    public async Task A_project_records_its_rounds_updates_and_bytes_under_its_own_id()
    {
        var projectId = Specs.NewId("metrics-");
        var recorded = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == FlopsMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (Equals(labels.GetValueOrDefault("project"), projectId))
            {
                recorded.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), labels));
            }
        }

        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        var ended = await ProjectWatcher.RunToEnd(fixture.Grains, projectId, Specs.Simulated(devices: 3, rounds: 2));
        listener.RecordObservableInstruments();

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal(2, recorded.Count(m => m.Instrument == "flops.rounds.completed" && Equals(m.Tags["outcome"], "closed")));
        Assert.Equal(6, recorded.Count(m => m.Instrument == "flops.updates.received" && Equals(m.Tags["outcome"], "accepted")));
        Assert.Equal(6.0 * 7850 * sizeof(float), recorded.Where(m => m.Instrument == "flops.update.bytes").Sum(m => m.Value));
        Assert.Equal(ended.Rounds[^1].Accuracy!.Value, recorded.Last(m => m.Instrument == "flops.model.accuracy").Value);
        Assert.DoesNotContain(recorded, m => m.Tags.ContainsKey("device"));
    }

    [Theory]
    [InlineData("parameters contain NaN or infinity", "not_finite")]
    [InlineData("expected 7850 parameters, got 3", "shape")]
    [InlineData("device 'x' already sent its update for round 1", "duplicate")]
    [InlineData("round 3 is closed (Closed)", "closed")]
    [InlineData("something unforeseen", "other")]
    public void Refusal_reasons_fold_into_a_few_label_values(string reason, string category) =>
        Assert.Equal(category, FlopsMetrics.ReasonCategory(reason));
}
