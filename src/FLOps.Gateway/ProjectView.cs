using FLOps.Abstractions.Projects;

namespace FLOps.Gateway;

/// <summary>A project as the HTTP API shows it (field names are part of the contract).</summary>
public sealed record ProjectView(
    string Id,
    string Name,
    ProjectState State,
    int CurrentRound,
    int TotalRounds,
    string? Reason,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? FinishedAt,
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
            snapshot.BytesToCloud,
            snapshot.Model.IsNone ? null : snapshot.Model.Hash,
            [.. snapshot.Rounds.Select(RoundView.Of)]);
    }
}

public sealed record RoundView(int Round, int Participants, int Selected, double? Loss, double? Accuracy, double Seconds, double TrainingLoss, IReadOnlyList<DeviceFailure> Failures)
{
    public static RoundView Of(RoundSummary r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Round, r.Participants, r.Selected, r.Loss, r.Accuracy, r.Seconds, r.TrainingLoss, r.Failures);
    }
}
