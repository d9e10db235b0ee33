namespace FLOps.Abstractions.Projects;

/// <summary>
/// The projects of one tenant (an API key's owner), keyed by tenant id: ownership for the HTTP
/// API's tenancy checks, and the tenant's <c>Idempotency-Key</c>s so that a retried submission
/// returns the project the first one created.
/// </summary>
[Alias("flops.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>A new project id, or the one an earlier call with the same idempotency key claimed.</summary>
    [Alias("Claim")]
    Task<ProjectClaim> Claim(string? idempotencyKey);

    /// <summary>Gives up a claim whose submission was refused, so nothing of it remains.</summary>
    [Alias("Release")]
    Task Release(string projectId);

    [Alias("Owns")]
    Task<bool> Owns(string projectId);

    [Alias("Projects")]
    Task<IReadOnlyList<string>> Projects();
}

[GenerateSerializer, Immutable, Alias("flops.ProjectClaim")]
public sealed record ProjectClaim([property: Id(0)] string ProjectId, [property: Id(1)] bool IsNew);
