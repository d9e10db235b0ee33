using FLOps.Abstractions.Devices;

namespace FLOps.Gateway;

/// <summary>
/// Issues and checks device tokens with the cluster's key, fetched once from its grain: a token is
/// checked here, before any device grain is called, so a made-up device id activates nothing.
/// </summary>
public sealed class DeviceTokenIssuer(IGrainFactory grains)
{
    private readonly object _gate = new();
    private Task<byte[]>? _key;

    public async Task<string> TokenFor(string deviceId) => DeviceTokens.For(await Key(), deviceId);

    public async Task<bool> IsValid(string deviceId, string? token) =>
        token is { Length: > 0 } && DeviceTokens.Matches(await Key(), deviceId, token);

    private Task<byte[]> Key()
    {
        // Every learner request checks a token: once the key is here, no lock (thousands of learners queued on it).
        if (Volatile.Read(ref _key) is { IsCompletedSuccessfully: true } key)
        {
            return key;
        }

        lock (_gate)
        {
            // A fetch that failed (the cluster was unreachable) is tried again by the next request.
            if (_key is null || _key.IsFaulted || _key.IsCanceled)
            {
                _key = grains.GetGrain<IDeviceTokenKeyGrain>(0).GetKey();
            }

            return _key;
        }
    }
}
