using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Devices;
using Microsoft.Extensions.Options;

namespace FLOps.Grains.Projects;

public sealed class TenantGrain(
    [PersistentState(FlopsStorage.TenantState, FlopsStorage.ProviderName)] IPersistentState<TenantGrainState> state,
    IOptions<FlopsLimits> limits) : Grain, ITenantGrain
{
    private const string DefaultCluster = "default";

    /// <summary>Every write of the state, so that registrations, which interleave, share writes and never overlap one.</summary>
    private readonly CoalescedWrites _writes = new(state.WriteStateAsync);

    private TenantGrainState S => state.State;

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<ProjectClaim> Claim(string? idempotencyKey, string specFingerprint)
    {
        if (idempotencyKey is not null && S.ProjectByIdempotencyKey.TryGetValue(idempotencyKey, out var existing))
        {
            return S.SpecByIdempotencyKey.TryGetValue(idempotencyKey, out var first) && first != specFingerprint
                ? new ProjectClaim(existing, IsNew: false, ClaimRefusal.IdempotencyKeyReused, $"Idempotency-Key '{idempotencyKey}' was used for project '{existing}' with a different spec")
                : new ProjectClaim(existing, IsNew: false);
        }

        if (S.Projects.Count >= limits.Value.MaxProjectsPerTenant)
        {
            return new ProjectClaim("", IsNew: false, ClaimRefusal.ProjectLimit, $"the tenant has {S.Projects.Count} projects, the limit");
        }

        var projectId = "p-" + Guid.NewGuid().ToString("N")[..16];
        S.Projects.Add(projectId);
        if (idempotencyKey is not null)
        {
            S.ProjectByIdempotencyKey[idempotencyKey] = projectId;
            S.SpecByIdempotencyKey[idempotencyKey] = specFingerprint;
        }

        await _writes.WriteAsync();
        return new ProjectClaim(projectId, IsNew: true);
    }

    public async Task Release(string projectId)
    {
        if (S.Projects.Remove(projectId))
        {
            foreach (var key in S.ProjectByIdempotencyKey.Where(p => p.Value == projectId).Select(p => p.Key).ToList())
            {
                S.ProjectByIdempotencyKey.Remove(key);
                S.SpecByIdempotencyKey.Remove(key);
            }

            await _writes.WriteAsync();
        }
    }

    public Task<bool> Owns(string projectId) => Task.FromResult(S.Projects.Contains(projectId));

    public Task<IReadOnlyList<string>> Projects() => Task.FromResult<IReadOnlyList<string>>([.. S.Projects]);

    public async Task<DeviceRegistrationResult> RegisterDevice(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        profile = profile with { Tenant = Tenant, Cluster = string.IsNullOrWhiteSpace(profile.Cluster) ? DefaultCluster : profile.Cluster, Shard = null };
        var errors = DeviceProfileValidator.Validate(profile, limits.Value);
        if (errors.Count > 0)
        {
            return new DeviceRegistrationResult { Errors = errors };
        }

        if (S.RegisteredDevices >= limits.Value.MaxDevicesPerTenant)
        {
            return new DeviceRegistrationResult { LimitReached = $"the tenant has {S.RegisteredDevices} registered devices, the limit" };
        }

        // A device of a named edge cluster carries it in its id, so that its grain lives on that
        // cluster's silos (and its updates go to that cluster's aggregator in hierarchical mode).
        var id = "d-" + Guid.NewGuid().ToString("N")[..16];
        id = profile.Cluster == DefaultCluster ? id : EdgeKeys.InCluster(id, profile.Cluster);
        // Counted before the first await: interleaved registrations never pass the limit together.
        S.RegisteredDevices++;
        await _writes.WriteAsync();
        await GrainFactory.GetGrain<IDeviceGrain>(id).Register(profile);
        await Task.WhenAll(profile.DataTags.Distinct(StringComparer.Ordinal).Select(tag => GrainFactory.GetGrain<IDeviceDirectoryGrain>(IDeviceDirectoryGrain.KeyFor(Tenant, tag)).Add(id)));
        return new DeviceRegistrationResult { DeviceId = id };
    }
}
