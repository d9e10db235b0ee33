namespace FLOps.Grains.Devices;

[GenerateSerializer, Alias("flops.DeviceTokenKeyState")]
public sealed class DeviceTokenKeyState
{
    [Id(0)] public byte[]? Key { get; set; }
}
