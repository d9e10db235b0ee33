namespace FLOps.Protocol;

/// <summary>
/// A project as the HTTP API shows it (field names are part of the contract): the answer of
/// <see cref="ServiceRoutes.Projects"/> and its sub-routes, and the data of each
/// <see cref="ServiceRoutes.ProgressEvent"/> of <see cref="ServiceRoutes.Events"/>. In hierarchical
/// mode each entry of <c>rounds</c> is a cycle (<c>round</c> is the cycle number,
/// <c>currentRound</c>/<c>totalRounds</c> count cycles) and <c>clusters</c> holds each edge
/// cluster's part: included, or dropped with the reason, and its inner rounds numbered 1 to
/// <c>training.rounds</c> within the cycle. <c>state</c> is one of <see cref="ProjectStates"/>.
/// </summary>
public sealed record ProjectView(
    string Id,
    string Name,
    string State,
    int CurrentRound,
    int TotalRounds,
    string? Reason,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? FinishedAt,
    string Mode,
    long BytesToCloud,
    string? ModelHash,
    IReadOnlyList<RoundView> Rounds);

/// <summary>
/// One round. <c>loss</c> and <c>accuracy</c> are null without a held-out set, and also when the
/// round's model has none that is a number (a model overflowed to infinity by its updates or its
/// privacy noise): JSON cannot carry NaN or infinity, and one such round must not make the project unreadable.
/// <c>failures</c> lists the first devices left out (at most 20, with the reason), <c>failureCount</c> counts them all.
/// </summary>
public sealed record RoundView(
    int Round,
    int Participants,
    int Selected,
    double? Loss,
    double? Accuracy,
    double Seconds,
    double TrainingLoss,
    long UpdateBytes,
    IReadOnlyList<DeviceFailureView> Failures,
    IReadOnlyList<ClusterView>? Clusters,
    int FailureCount = 0);

/// <summary>One edge cluster in one cycle: <c>reason</c> says why it was dropped.</summary>
public sealed record ClusterView(string Cluster, bool Included, string? Reason, long SampleCount, long BytesToCloud, IReadOnlyList<RoundView> InnerRounds);

/// <summary>A device left out of a round, and why.</summary>
public sealed record DeviceFailureView(string DeviceId, string Reason);

/// <summary>The values of <see cref="ProjectView.State"/>: Pending → Running → Completed | Failed | Cancelled.</summary>
public static class ProjectStates
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";

    /// <summary>Every state, in the order a project goes through them.</summary>
    public static IReadOnlyList<string> All { get; } = [Pending, Running, Completed, Failed, Cancelled];

    /// <summary>Completed, Failed or Cancelled: nothing changes any more.</summary>
    public static bool IsTerminal(string? state) => state is Completed or Failed or Cancelled;
}
