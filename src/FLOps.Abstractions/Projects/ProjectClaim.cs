namespace FLOps.Abstractions.Projects;

/// <summary>A claimed project id, or why none was given (<see cref="Refusal"/> with <see cref="Reason"/>).</summary>
[GenerateSerializer, Immutable, Alias("flops.ProjectClaim")]
public sealed record ProjectClaim(
    [property: Id(0)] string ProjectId,
    [property: Id(1)] bool IsNew,
    [property: Id(2)] ClaimRefusal Refusal = ClaimRefusal.None,
    [property: Id(3)] string? Reason = null);
