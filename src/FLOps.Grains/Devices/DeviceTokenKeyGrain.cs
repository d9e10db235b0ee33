using FLOps.Abstractions.Devices;

namespace FLOps.Grains.Devices;

/// <summary>Makes the cluster's device-token key on first use and keeps it (durably in a durable cluster).</summary>
public sealed class DeviceTokenKeyGrain(
    [PersistentState(FlopsStorage.DeviceTokenKeyState, FlopsStorage.ProviderName)] IPersistentState<DeviceTokenKeyState> state) : Grain, IDeviceTokenKeyGrain
{
    public async Task<byte[]> GetKey()
    {
        if (state.State.Key is null)
        {
            state.State.Key = DeviceTokens.NewKey();
            await state.WriteStateAsync();
        }

        return state.State.Key;
    }
}
