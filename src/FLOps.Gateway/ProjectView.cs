using FLOps.Abstractions.Projects;

namespace FLOps.Gateway;

/// <summary>
/// A project as the HTTP API shows it (field names are part of the contract). In hierarchical
/// mode each entry of <c>rounds</c> is a cycle (<c>round</c> is the cycle number,
/// <c>currentRound</c>/<c>totalRounds</c> count cycles) and <c>clusters</c> holds each edge
/// cluster's part: included, or dropped with the reason, and its inner rounds numbered 1 to
/// <c>training.rounds</c> within the cycle.
/// </summary>
public sealed record ProjectView(
    string Id,
    string Name,
    ProjectState State,
    int CurrentRound,
    int TotalRounds,
    string? Reason,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? FinishedAt,
    string Mode,
    long BytesToCloud,
    string? ModelHash,
    IReadOnlyList<RoundView> Rounds)
{
    public static ProjectView Of(ProjectSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new(
            snapshot.Id,
            snapshot.Name,
            snapshot.State,
            snapshot.CurrentRound,
            snapshot.TotalRounds,
            snapshot.Reason,
            snapshot.CreatedAt,
            snapshot.FinishedAt,
            snapshot.Spec?.Training.Mode ?? "classic",
            snapshot.BytesToCloud,
            snapshot.Model.IsNone ? null : snapshot.Model.Hash,
            [.. snapshot.Rounds.Select(RoundView.Of)]);
    }
}

/// <summary>
/// One round. <c>loss</c> and <c>accuracy</c> are null without a held-out set, and also when the
/// round's model has none that is a number (a model overflowed to infinity by its updates or its
/// privacy noise): JSON cannot carry NaN or infinity, and one such round must not make the project unreadable.
/// </summary>
public sealed record RoundView(
    int Round, int Participants, int Selected, double? Loss, double? Accuracy, double Seconds, double TrainingLoss, long UpdateBytes, IReadOnlyList<DeviceFailure> Failures, IReadOnlyList<ClusterView>? Clusters)
{
    public static RoundView Of(RoundSummary r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(
            r.Round, r.Participants, r.Selected, Finite(r.Loss), Finite(r.Accuracy), r.Seconds, r.TrainingLoss, r.UpdateBytes, r.Failures,
            r.Clusters.Count == 0 ? null : [.. r.Clusters.Select(ClusterView.Of)]);
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

/// <summary>One edge cluster in one cycle: <c>reason</c> says why it was dropped.</summary>
public sealed record ClusterView(string Cluster, bool Included, string? Reason, long SampleCount, long BytesToCloud, IReadOnlyList<RoundView> InnerRounds)
{
    public static ClusterView Of(ClusterSummary c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Cluster, c.Included, c.Reason, c.SampleCount, c.BytesToCloud, [.. c.InnerRounds.Select(RoundView.Of)]);
    }
}
