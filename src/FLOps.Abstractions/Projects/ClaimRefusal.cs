namespace FLOps.Abstractions.Projects;

/// <summary>Why a tenant gave no project id.</summary>
[GenerateSerializer, Alias("flops.ClaimRefusal")]
public enum ClaimRefusal
{
    None = 0,

    /// <summary>The idempotency key was used before with another spec.</summary>
    IdempotencyKeyReused = 1,

    /// <summary>The tenant has as many projects as it may.</summary>
    ProjectLimit = 2,
}
