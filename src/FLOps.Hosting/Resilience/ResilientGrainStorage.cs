using FLOps.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Polly;

namespace FLOps.Hosting.Resilience;

/// <summary>
/// Wraps a silo's grain storage so that no grain lives on with state its storage does not hold.
/// Reads and writes ride out a database that is away for a while (<see cref="StorageRetry"/>);
/// a write that still fails leaves the grain's memory ahead of storage (and, if the failed commit
/// went through after all, with a stale ETag that every later write would trip on), so the grain
/// is deactivated: its next call or reminder tick activates it anew from what storage holds, and
/// the work it had done in memory is derived again (a round replays its journal, a project asks
/// its round for the outcome). Every grain writes through this, so the fix is in one place.
/// </summary>
public sealed class ResilientGrainStorage(IGrainStorage inner, IGrainContextAccessor grains, ILogger<ResilientGrainStorage> logger)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const string ReadOperation = "grain_state_read";
    private const string WriteOperation = "grain_state_write";
    private const string ClearOperation = "grain_state_clear";

    private static readonly ResiliencePipeline Reads = StorageRetry.For(ReadOperation);
    private static readonly ResiliencePipeline Writes = StorageRetry.For(WriteOperation);
    private static readonly ResiliencePipeline Clears = StorageRetry.For(ClearOperation);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        await Reads.RunAsync(ReadOperation, async _ =>
        {
            await inner.ReadStateAsync(stateName, grainId, grainState);
            return true;
        }, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReloadOnFailure(Writes, WriteOperation, grainId, () => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReloadOnFailure(Clears, ClearOperation, grainId, () => inner.ClearStateAsync(stateName, grainId, grainState));

    public void Participate(ISiloLifecycle observer)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(observer);
        }
    }

    private async Task ReloadOnFailure(ResiliencePipeline pipeline, string operation, GrainId grainId, Func<Task> write)
    {
        try
        {
            await pipeline.RunAsync(operation, async _ =>
            {
                await write();
                return true;
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("State write of {GrainId} failed ({Error}); the grain is deactivated and reloads its state from storage on its next call", grainId, e.Message);
            grains.GrainContext?.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, $"its state write failed: {e.Message}"));
            throw;
        }
    }
}
