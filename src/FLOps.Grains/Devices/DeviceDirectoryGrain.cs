using FLOps.Abstractions.Devices;

namespace FLOps.Grains.Devices;

[GenerateSerializer, Alias("flops.DeviceDirectoryState")]
public sealed class DeviceDirectoryState
{
    [Id(0)] public SortedSet<string> Devices { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One shard of a device directory (see <see cref="IDeviceDirectoryGrain"/> and <see cref="DeviceDirectory"/>).</summary>
public sealed class DeviceDirectoryGrain(
    [PersistentState(FlopsStorage.DeviceDirectoryState, FlopsStorage.ProviderName)] IPersistentState<DeviceDirectoryState> state) : Grain, IDeviceDirectoryGrain
{
    /// <summary>The ids in order, for positional reads; rebuilt after a change.</summary>
    private string[]? _ordered;

    public Task Add(string deviceId) => AddMany([deviceId]);

    public async Task AddMany(IReadOnlyList<string> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var added = false;
        foreach (var id in deviceIds)
        {
            added |= state.State.Devices.Add(id);
        }

        if (added)
        {
            _ordered = null;
            await state.WriteStateAsync();
        }
    }

    public async Task Remove(string deviceId)
    {
        if (state.State.Devices.Remove(deviceId))
        {
            _ordered = null;
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(Ordered);

    public Task<int> Count() => Task.FromResult(state.State.Devices.Count);

    public Task<IReadOnlyList<string>> At(IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var ordered = Ordered;
        return Task.FromResult<IReadOnlyList<string>>([.. positions.Where(p => p >= 0 && p < ordered.Length).Select(p => ordered[p])]);
    }

    private string[] Ordered => _ordered ??= [.. state.State.Devices];
}
