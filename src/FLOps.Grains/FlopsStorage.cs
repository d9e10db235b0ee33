namespace FLOps.Grains;

/// <summary>Names grains use for their persistent state; hosts register storage under <see cref="ProviderName"/>.</summary>
public static class FlopsStorage
{
    public const string ProviderName = "flops";

    // One state name per grain type, so that records never collide in a shared storage table.
    public const string ProjectState = "project";
    public const string RoundState = "round";
    public const string DeviceState = "device";
    public const string DeviceDirectoryState = "device-directory";
    public const string TenantState = "tenant";
    public const string DeviceTokenKeyState = "device-token-key";
    public const string EdgeAggregatorState = "edge-aggregator";
    public const string RootAggregatorState = "root-aggregator";
    public const string UploadedModelState = "uploaded-model";
}
