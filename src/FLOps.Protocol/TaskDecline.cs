namespace FLOps.Protocol;

/// <summary>A device cannot take a task (its data does not fit the model, the task is malformed…).</summary>
public sealed record TaskDecline(string? TaskId, string? Reason);
