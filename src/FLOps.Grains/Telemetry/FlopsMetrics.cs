using System.Diagnostics.Metrics;
using FLOps.Abstractions.Rounds;
using FLOps.Abstractions.Telemetry;
using FLOps.Learning.Validation;

namespace FLOps.Grains.Telemetry;

/// <summary>
/// The <c>FLOps</c> meter (<see cref="FlopsInstrumentation.MeterName"/>): metrics of the learning
/// itself, exported by every host that listens to it. Labels stay bounded: a project id, an
/// outcome, a reason category, a state, a cluster, a role; never a device id. The gauges of what
/// lives on a silo are in FlopsMetrics.Gauges.cs.
/// </summary>
public static partial class FlopsMetrics
{
    /// <summary>The <c>level</c> of a classic round.</summary>
    public const string FlatLevel = "flat";

    /// <summary>The <c>level</c> of an inner round of an edge cluster (hierarchical mode).</summary>
    public const string EdgeLevel = "edge";

    /// <summary>The <c>level</c> of a cycle's aggregation of the cluster models at the root (hierarchical mode).</summary>
    public const string CloudLevel = "cloud";

    private static readonly Meter Meter = new(FlopsInstrumentation.MeterName);

    private static readonly Counter<long> RoundsEnded = Meter.CreateCounter<long>("flops.rounds.completed", description: "Rounds ended, by level (flat, edge, cloud) and outcome (closed: aggregated; failed: no quorum)");
    // Buckets for what rounds take here (tens of milliseconds to the 120 s default timeout), not OpenTelemetry's 0, 5, 10, 25, … defaults.
    private static readonly Histogram<double> RoundDuration = Meter.CreateHistogram(
        "flops.round.duration", unit: "s", description: "Wall time of a round, from hand-out to recorded result, by level",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });
    private static readonly Histogram<long> RoundParticipants = Meter.CreateHistogram(
        "flops.round.participants", unit: null, description: "Updates aggregated per round (at level cloud: cluster models), by level",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 1000, 10000] });
    private static readonly Histogram<double> AggregationDuration = Meter.CreateHistogram(
        "flops.aggregation.duration", unit: "s", description: "Time to complete a round's aggregate, store and evaluate it",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    private static readonly Counter<long> UpdatesReceived = Meter.CreateCounter<long>("flops.updates.received", description: "Device updates by outcome (accepted, rejected, refused, late) and reason");
    private static readonly Counter<long> UpdateBytes = Meter.CreateCounter<long>("flops.update.bytes", unit: "By", description: "Bytes of accepted device updates");

    private static readonly Counter<long> Stragglers = Meter.CreateCounter<long>(
        "flops.round.stragglers", description: "Participants a round left out when it closed, by reason (timeout: no update by the deadline; failed: could not take or train the task; rejected: update malformed or out of bounds)");

    // No unit on purpose: Prometheus would append it ("..._bytes_to_cloud_bytes_total").
    private static readonly Counter<long> StorageErrors = Meter.CreateCounter<long>(
        "flops.storage.errors", description: "Failed storage operations (each failed attempt, retried or not), by operation");

    private static readonly Counter<long> EdgeBytesToCloud = Meter.CreateCounter<long>("flops.edge.bytes_to_cloud", description: "Bytes of partial results an edge cluster sent to the cloud");

    static FlopsMetrics()
    {
        Meter.CreateObservableGauge("flops.model.accuracy", () => LatestModels(static m => m.Accuracy), description: "Held-out accuracy of the latest global model of each project whose grain is active on this silo");
        Meter.CreateObservableGauge("flops.model.loss", () => LatestModels(static m => m.Loss), description: "Held-out log-loss of the latest global model of each project whose grain is active on this silo");
        Meter.CreateObservableGauge("flops.round.deadline", RoundDeadlines, unit: "s", description: "Unix time of the deadline of each project's open round whose grain is active on this silo (the latest, if several)");
        Meter.CreateObservableGauge("flops.projects", ProjectsByState, description: "Projects whose grain is active on this silo, by state (every state reported, 0 where none)");
        Meter.CreateObservableGauge("flops.devices.registered", RegisteredDevicesByCluster, description: "Devices (registered or simulated) whose grain is active on this silo, by cluster");
        Meter.CreateObservableGauge("flops.devices.active", ActiveDevicesByCluster, description: "Of those, the devices that got a task or sent an update in the last 5 minutes, by cluster");
        Meter.CreateObservableGauge("flops.silo.info", SilosByRole, description: "1 per silo in this process, labelled with its role (cloud or edge) and cluster");
    }

    public static void UpdateAccepted(string projectId, long bytes)
    {
        UpdatesReceived.Add(1, new("project", projectId), new("outcome", "accepted"), new("reason", "none"));
        UpdateBytes.Add(bytes, new KeyValuePair<string, object?>("project", projectId));
    }

    /// <summary>Outcomes of an update that did not count (the <c>outcome</c> label).</summary>
    public const string RejectedOutcome = "rejected";
    public const string RefusedOutcome = "refused";
    public const string LateOutcome = "late";

    /// <summary>
    /// An update that did not count: <paramref name="outcome"/> is <see cref="RejectedOutcome"/>
    /// (malformed), <see cref="RefusedOutcome"/> or <see cref="LateOutcome"/>; <paramref name="reason"/>
    /// one of the few labels <see cref="ReasonOf(UpdateRefusal)"/> and <see cref="ReasonOf(UpdateProblem)"/> give.
    /// </summary>
    public static void UpdateNotCounted(string projectId, string outcome, string reason) =>
        UpdatesReceived.Add(1, new("project", projectId), new("outcome", outcome), new("reason", reason));

    /// <summary>A storage operation that failed (an attempt; it may be retried): <c>grain_state_read</c>, <c>grain_state_write</c>, <c>journal_write</c>, <c>journal_read</c>, <c>blob_write</c>, <c>blob_read</c>…</summary>
    public static void StorageFailed(string operation) => StorageErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Bytes of partial results an edge aggregator of <paramref name="cluster"/> sent to the cloud for a project.</summary>
    public static void EdgeSentToCloud(string projectId, string cluster, long bytes) =>
        EdgeBytesToCloud.Add(bytes, new("project", projectId), new("cluster", cluster));

    /// <summary>A round ended at <paramref name="level"/> (<see cref="FlatLevel"/>, <see cref="EdgeLevel"/>, <see cref="CloudLevel"/>).</summary>
    public static void RoundEnded(string projectId, string level, bool closed, double seconds, int participants, double? aggregationSeconds)
    {
        var project = new KeyValuePair<string, object?>("project", projectId);
        var levelTag = new KeyValuePair<string, object?>("level", level);
        RoundsEnded.Add(1, project, levelTag, new("outcome", closed ? "closed" : "failed"));
        RoundDuration.Record(seconds, project, levelTag);
        RoundParticipants.Record(participants, project, levelTag);
        if (aggregationSeconds is { } aggregation)
        {
            AggregationDuration.Record(aggregation, project);
        }
    }

    /// <summary>
    /// The participants a round left out when it closed. Every reason is added, 0 included, so
    /// each series exists from a project's first round and its first straggler counts in a rate.
    /// </summary>
    public static void RoundLeftOut(string projectId, int timedOut, int failed, int rejected)
    {
        var project = new KeyValuePair<string, object?>("project", projectId);
        Stragglers.Add(timedOut, project, new("reason", "timeout"));
        Stragglers.Add(failed, project, new("reason", "failed"));
        Stragglers.Add(rejected, project, new("reason", "rejected"));
    }

    /// <summary>The reason label of a refusal: a handful of values, whatever the message says.</summary>
    public static string ReasonOf(UpdateRefusal refusal) => refusal switch
    {
        UpdateRefusal.NotSelected => "not_selected",
        UpdateRefusal.Late => "closed",
        UpdateRefusal.Duplicate => "duplicate",
        UpdateRefusal.Stale => "stale",
        UpdateRefusal.WrongTask => "wrong_task",
        _ => "other",
    };

    /// <summary>The reason label of a malformed update.</summary>
    public static string ReasonOf(UpdateProblem problem) => problem switch
    {
        UpdateProblem.Shape => "shape",
        UpdateProblem.SampleCount => "sample_count",
        UpdateProblem.NotFinite => "not_finite",
        UpdateProblem.NormBound => "norm_bound",
        _ => "other",
    };
}
