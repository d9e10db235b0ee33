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
        return (await Register([profile with { Shard = null }]))[0];
    }

    public async Task<IReadOnlyList<DeviceRegistrationResult>> RegisterDevices(IReadOnlyList<DeviceProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return await Register(profiles);
    }

    private async Task<DeviceRegistrationResult[]> Register(IReadOnlyList<DeviceProfile> profiles)
    {
        var results = new DeviceRegistrationResult[profiles.Count];
        var accepted = new List<(string Id, DeviceProfile Profile)>();
        for (var i = 0; i < profiles.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(profiles[i]);
            var profile = profiles[i] with { Tenant = Tenant, Cluster = string.IsNullOrWhiteSpace(profiles[i].Cluster) ? DefaultCluster : profiles[i].Cluster };
            var errors = DeviceProfileValidator.Validate(profile, limits.Value);
            if (errors.Count > 0)
            {
                results[i] = new DeviceRegistrationResult { Errors = errors };
                continue;
            }

            if (S.RegisteredDevices + accepted.Count >= limits.Value.MaxDevicesPerTenant)
            {
                results[i] = new DeviceRegistrationResult { LimitReached = $"the tenant has {S.RegisteredDevices + accepted.Count} registered devices, the limit" };
                continue;
            }

            // A device of a named edge cluster carries it in its id, so that its grain lives on that
            // cluster's silos (and its updates go to that cluster's aggregator in hierarchical mode).
            var id = "d-" + Guid.NewGuid().ToString("N")[..16];
            id = profile.Cluster == DefaultCluster ? id : EdgeKeys.InCluster(id, profile.Cluster);
            accepted.Add((id, profile));
            results[i] = new DeviceRegistrationResult { DeviceId = id };
        }

        if (accepted.Count == 0)
        {
            return results;
        }

        // Counted before the first await: interleaved registrations never pass the limit together.
        S.RegisteredDevices += accepted.Count;
        await _writes.WriteAsync();
        await Task.WhenAll(accepted.Select(d => GrainFactory.GetGrain<IDeviceGrain>(d.Id).Register(d.Profile)));
        await DeviceDirectory.AddAsync(GrainFactory, Tenant, accepted.Select(d => (d.Id, d.Profile.DataTags)));
        return results;
    }
}
