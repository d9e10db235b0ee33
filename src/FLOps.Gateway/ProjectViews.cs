using FLOps.Abstractions.Projects;
using FLOps.Protocol;

namespace FLOps.Gateway;

/// <summary>A project's snapshot as the HTTP API shows it (<see cref="ProjectView"/>, shared with the clients in FLOps.Protocol).</summary>
public static class ProjectViews
{
    public static ProjectView Of(ProjectSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new(
            snapshot.Id,
            snapshot.Name,
            snapshot.State.ToString(),
            snapshot.CurrentRound,
            snapshot.TotalRounds,
            snapshot.Reason,
            snapshot.CreatedAt,
            snapshot.FinishedAt,
            snapshot.Spec?.Training.Mode ?? "classic",
            snapshot.BytesToCloud,
            snapshot.Model.IsNone ? null : snapshot.Model.Hash,
            [.. snapshot.Rounds.Select(Of)]);
    }

    public static RoundView Of(RoundSummary round)
    {
        ArgumentNullException.ThrowIfNull(round);
        return new(
            round.Round, round.Participants, round.Selected, Finite(round.Loss), Finite(round.Accuracy), round.Seconds, round.TrainingLoss, round.UpdateBytes,
            [.. round.Failures.Select(f => new DeviceFailureView(f.DeviceId, f.Reason))],
            round.Clusters.Count == 0 ? null : [.. round.Clusters.Select(Of)],
            round.FailureCount);
    }

    public static ClusterView Of(ClusterSummary cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return new(cluster.Cluster, cluster.Included, cluster.Reason, cluster.SampleCount, cluster.BytesToCloud, [.. cluster.InnerRounds.Select(Of)]);
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
