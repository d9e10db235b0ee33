using FLOps.Abstractions.Devices;
using Orleans.Concurrency;

namespace FLOps.Abstractions.Projects;

/// <summary>
/// What one tenant (an API key's owner) holds, keyed by tenant id: its projects, for the HTTP
/// API's tenancy checks, with their <c>Idempotency-Key</c>s so that a retried submission returns
/// the project the first one created; and its registered devices. It enforces the tenant's limits.
/// </summary>
[Alias("flops.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>
    /// A new project id, or the one an earlier call with the same idempotency key claimed.
    /// <paramref name="specFingerprint"/> identifies the submitted spec: the same key with another
    /// spec is refused, as is a claim beyond the tenant's project limit.
    /// </summary>
    [Alias("Claim")]
    Task<ProjectClaim> Claim(string? idempotencyKey, string specFingerprint);

    /// <summary>Gives up a claim whose submission was refused, so nothing of it remains.</summary>
    [Alias("Release")]
    Task Release(string projectId);

    [Alias("Owns")]
    Task<bool> Owns(string projectId);

    [Alias("Projects")]
    Task<IReadOnlyList<string>> Projects();

    /// <summary>
    /// Registers a device of this tenant: checks the profile and the tenant's device limit, creates
    /// the device grain and lists it under each of its data tags in the tenant's directories.
    /// Registrations interleave, so that one waiting for its device and directories does not hold
    /// up the next: a tenant registers devices in parallel.
    /// </summary>
    [AlwaysInterleave]
    [Alias("RegisterDevice")]
    Task<DeviceRegistrationResult> RegisterDevice(DeviceProfile profile);

    /// <summary>
    /// Registers a batch of devices as <see cref="RegisterDevice"/> does each, with one write of
    /// the tenant's state and one directory call per shard touched; results in the same order. For
    /// in-process callers (benchmarks, tests): a profile may name a simulated shard, which the
    /// device then trains on inside the silo, as a simulated device does.
    /// </summary>
    [Alias("RegisterDevices")]
    Task<IReadOnlyList<DeviceRegistrationResult>> RegisterDevices(IReadOnlyList<DeviceProfile> profiles);
}
