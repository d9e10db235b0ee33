using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using Orleans.Concurrency;

namespace FLOps.Client;

/// <summary>
/// FLOps from .NET code, over an Orleans client (or a co-hosted silo's grain factory). Projects
/// belong to <paramref name="tenant"/>, as those submitted through the gateway belong to its API
/// key's tenant. Invalid specs throw <see cref="InvalidProjectSpecException"/> listing every problem.
/// </summary>
public sealed class FlopsClient(IGrainFactory grains, string tenant = FlopsClient.DefaultTenant)
{
    public const string DefaultTenant = "default";

    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Submits a project; with an idempotency key a retry with the same spec returns the project the
    /// first call created. Throws <see cref="InvalidProjectSpecException"/>,
    /// <see cref="IdempotencyKeyReusedException"/> (the key came with another spec) or
    /// <see cref="TenantLimitException"/>; a refused submission leaves no project behind.
    /// </summary>
    public async Task<ProjectSnapshot> SubmitAsync(ProjectSpec spec, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var owner = grains.GetGrain<ITenantGrain>(tenant);
        var claim = await owner.Claim(idempotencyKey, SpecFingerprint.Of(spec));
        switch (claim.Refusal)
        {
            case ClaimRefusal.IdempotencyKeyReused:
                throw new IdempotencyKeyReusedException(claim.Reason!);
            case ClaimRefusal.ProjectLimit:
                throw new TenantLimitException(claim.Reason!);
        }

        var project = grains.GetGrain<IProjectGrain>(claim.ProjectId);
        if (!claim.IsNew)
        {
            return await project.GetSnapshot();
        }

        try
        {
            return await project.Submit(spec, tenant);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A project that stored its spec was accepted and runs; anything short of that is
            // released. If the cluster cannot say (it is unreachable), the claim stays and the
            // caller gets the original error rather than the failed look.
            if (await HasNoSpec(project))
            {
                await owner.Release(claim.ProjectId);
            }

            throw;
        }
    }

    private static async Task<bool> HasNoSpec(IProjectGrain project)
    {
        try
        {
            return (await project.GetSnapshot()).Spec is null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Registers a device of this tenant; its id, or the problems or limit that refused it.</summary>
    public Task<DeviceRegistrationResult> RegisterDeviceAsync(DeviceProfile profile) =>
        grains.GetGrain<ITenantGrain>(tenant).RegisterDevice(profile);

    /// <summary>
    /// Uploads an ONNX model to federate (<c>model: { kind: "onnx", modelId }</c>); its description,
    /// with the id to name it by. Throws <see cref="InvalidModelUploadException"/> with the reason
    /// when the model cannot be federated.
    /// </summary>
    public Task<UploadedModelInfo> UploadModelAsync(byte[] onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var id = "m-" + Guid.NewGuid().ToString("N")[..16];
        return grains.GetGrain<IUploadedModelGrain>(IUploadedModelGrain.KeyFor(tenant, id)).Import(new Immutable<byte[]>(onnx));
    }

    /// <summary>The tenant's uploaded model, or <c>null</c> if it has none by that id.</summary>
    public Task<UploadedModelInfo?> GetModelAsync(string modelId)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return grains.GetGrain<IUploadedModelGrain>(IUploadedModelGrain.KeyFor(tenant, modelId)).GetInfo();
    }

    /// <summary>The tenant's project, or <c>null</c> if it has none by that id.</summary>
    public async Task<ProjectSnapshot?> GetAsync(string projectId) =>
        await Owned(projectId) is { } project ? await project.GetSnapshot() : null;

    public async Task<IReadOnlyList<ProjectSnapshot>> ListAsync()
    {
        var ids = await grains.GetGrain<ITenantGrain>(tenant).Projects();
        return await Task.WhenAll(ids.Select(id => grains.GetGrain<IProjectGrain>(id).GetSnapshot()));
    }

    public async Task<ProjectSnapshot> CancelAsync(string projectId, string reason = "cancelled by the client") =>
        await (await Require(projectId)).Cancel(reason);

    /// <summary>The current global model as ONNX; throws <see cref="InvalidOperationException"/> before the first round completed.</summary>
    public async Task<byte[]> DownloadModelAsync(string projectId) =>
        await (await Require(projectId)).ExportOnnx() ?? throw new InvalidOperationException($"project '{projectId}' has no model yet");

    /// <summary>
    /// The project's snapshots as they change (a round recorded, a new state), ending with the
    /// final one. Notifications are best effort, so a quiet project is also asked directly.
    /// </summary>
    public async IAsyncEnumerable<ProjectSnapshot> WatchAsync(string projectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var project = await Require(projectId);
        var updates = Channel.CreateUnbounded<ProjectSnapshot>();
        var observer = new ChannelObserver(updates.Writer);
        var reference = grains.CreateObjectReference<IProjectObserver>(observer);
        try
        {
            await project.Subscribe(reference);
            var last = await project.GetSnapshot();
            yield return last;
            while (!last.State.IsTerminal())
            {
                var next = await NextAsync(project, reference, updates.Reader, cancellationToken);
                if (next.Rounds.Count != last.Rounds.Count || next.State != last.State || next.CurrentRound != last.CurrentRound)
                {
                    yield return next;
                }

                last = next;
            }
        }
        finally
        {
            await project.Unsubscribe(reference);
            grains.DeleteObjectReference<IProjectObserver>(reference);
            GC.KeepAlive(observer);
        }
    }

    private static async Task<ProjectSnapshot> NextAsync(IProjectGrain project, IProjectObserver reference, ChannelReader<ProjectSnapshot> updates, CancellationToken cancellationToken)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(QuietPeriod);
        try
        {
            return await updates.ReadAsync(quiet.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await project.Subscribe(reference);
            return await project.GetSnapshot();
        }
    }

    private async Task<IProjectGrain?> Owned(string projectId) =>
        await grains.GetGrain<ITenantGrain>(tenant).Owns(projectId) ? grains.GetGrain<IProjectGrain>(projectId) : null;

    private async Task<IProjectGrain> Require(string projectId) =>
        await Owned(projectId) ?? throw new KeyNotFoundException($"no project '{projectId}'");

    private sealed class ChannelObserver(ChannelWriter<ProjectSnapshot> writer) : IProjectObserver
    {
        public void OnProgress(ProjectSnapshot snapshot) => writer.TryWrite(snapshot);
    }
}
