namespace FLOps.Abstractions.Devices;

/// <summary>
/// The registered (non-simulated) devices, keyed by data tag, so that a project finds the
/// devices that hold its data without scanning every device grain.
/// </summary>
[Alias("flops.IDeviceDirectoryGrain")]
public interface IDeviceDirectoryGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task Add(string deviceId);

    [Alias("Remove")]
    Task Remove(string deviceId);

    [Alias("List")]
    Task<IReadOnlyList<string>> List();
}
