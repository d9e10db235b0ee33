using System.Security.Cryptography;
using System.Text;

namespace FLOps.Abstractions.Devices;

/// <summary>
/// A device token is the HMAC-SHA256 of the device id under the cluster's key
/// (<see cref="IDeviceTokenKeyGrain"/>): whoever holds the key (the key's grain, every gateway)
/// checks a token without storage, in constant time, and a token opens only its own device.
/// </summary>
public static class DeviceTokens
{
    public const int KeyBytes = 32;

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeyBytes);

    public static string For(byte[] key, string deviceId) => Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(deviceId)));

    public static bool Matches(byte[] key, string deviceId, string? token) =>
        token is { Length: > 0 and <= 100 } && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(For(key, deviceId)), Encoding.ASCII.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
