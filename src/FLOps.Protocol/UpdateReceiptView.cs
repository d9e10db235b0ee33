namespace FLOps.Protocol;

/// <summary>The answer to an accepted upload; refusals come as problem details with the same <c>refusal</c> kind.</summary>
public sealed record UpdateReceiptView(bool Accepted, string? Reason, string? Refusal);
