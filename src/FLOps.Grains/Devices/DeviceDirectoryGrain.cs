using FLOps.Abstractions.Devices;

namespace FLOps.Grains.Devices;

[GenerateSerializer, Alias("flops.DeviceDirectoryState")]
public sealed class DeviceDirectoryState
{
    [Id(0)] public SortedSet<string> Devices { get; set; } = new(StringComparer.Ordinal);
}

public sealed class DeviceDirectoryGrain(
    [PersistentState(FlopsStorage.DeviceDirectoryState, FlopsStorage.ProviderName)] IPersistentState<DeviceDirectoryState> state) : Grain, IDeviceDirectoryGrain
{
    public async Task Add(string deviceId)
    {
        if (state.State.Devices.Add(deviceId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task Remove(string deviceId)
    {
        if (state.State.Devices.Remove(deviceId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Devices]);
}
