namespace FLOps.Abstractions.Devices;

/// <summary>
/// The cluster's secret for device tokens (key 0). A device's token is an HMAC of its id under this
/// key, so every gateway checks a token on its own, before it calls any grain: a request with a
/// made-up device id activates nothing. Durable clusters keep the key in grain storage, so tokens
/// outlive restarts.
/// </summary>
[Alias("flops.IDeviceTokenKeyGrain")]
public interface IDeviceTokenKeyGrain : IGrainWithIntegerKey
{
    [Alias("GetKey")]
    Task<byte[]> GetKey();
}
