using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Projects;

[GenerateSerializer, Alias("flops.TenantGrainState")]
public sealed class TenantGrainState
{
    /// <summary>Project ids in the order they were claimed.</summary>
    [Id(0)] public List<string> Projects { get; set; } = [];

    [Id(1)] public Dictionary<string, string> ProjectByIdempotencyKey { get; set; } = new(StringComparer.Ordinal);
}

public sealed class TenantGrain(
    [PersistentState(FlopsStorage.TenantState, FlopsStorage.ProviderName)] IPersistentState<TenantGrainState> state) : Grain, ITenantGrain
{
    public async Task<ProjectClaim> Claim(string? idempotencyKey)
    {
        if (idempotencyKey is not null && state.State.ProjectByIdempotencyKey.TryGetValue(idempotencyKey, out var existing))
        {
            return new ProjectClaim(existing, IsNew: false);
        }

        var projectId = "p-" + Guid.NewGuid().ToString("N")[..16];
        state.State.Projects.Add(projectId);
        if (idempotencyKey is not null)
        {
            state.State.ProjectByIdempotencyKey[idempotencyKey] = projectId;
        }

        await state.WriteStateAsync();
        return new ProjectClaim(projectId, IsNew: true);
    }

    public async Task Release(string projectId)
    {
        if (state.State.Projects.Remove(projectId))
        {
            foreach (var key in state.State.ProjectByIdempotencyKey.Where(p => p.Value == projectId).Select(p => p.Key).ToList())
            {
                state.State.ProjectByIdempotencyKey.Remove(key);
            }

            await state.WriteStateAsync();
        }
    }

    public Task<bool> Owns(string projectId) => Task.FromResult(state.State.Projects.Contains(projectId));

    public Task<IReadOnlyList<string>> Projects() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Projects]);
}
