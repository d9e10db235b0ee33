namespace FLOps.Grains.Projects;

[GenerateSerializer, Alias("flops.TenantGrainState")]
public sealed class TenantGrainState
{
    /// <summary>Project ids in the order they were claimed.</summary>
    [Id(0)] public List<string> Projects { get; set; } = [];

    [Id(1)] public Dictionary<string, string> ProjectByIdempotencyKey { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The fingerprint of the spec each idempotency key was first used with.</summary>
    [Id(2)] public Dictionary<string, string> SpecByIdempotencyKey { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Devices this tenant registered (a count: the devices themselves are in their directories).</summary>
    [Id(3)] public int RegisteredDevices { get; set; }
}
