namespace FLOps.Abstractions.Devices;

/// <summary>
/// One tenant's registered (non-simulated) devices that hold one data tag, keyed by
/// <see cref="KeyFor"/>, so that a project finds its own tenant's devices for its data without
/// scanning every device grain, and never another tenant's.
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

    /// <summary>The directory of <paramref name="tenant"/>'s devices tagged <paramref name="dataTag"/> (tags cannot hold '|').</summary>
    public static string KeyFor(string tenant, string dataTag) => $"{tenant}|{dataTag}";
}
