namespace FLOps.Abstractions.Devices;

/// <summary>
/// One shard of a tenant's registered (non-simulated) devices that hold one data tag, so that a
/// project finds its own tenant's devices for its data without scanning every device grain, and
/// never another tenant's. A directory is <see cref="Shards"/> grains keyed by
/// <see cref="ShardKeyFor"/> (a device lives in the shard its id hashes to), beside the grain keyed
/// <see cref="KeyFor"/>, which holds the devices registered before directories were sharded. A
/// round samples positions over all of them and asks each shard only for the ids it picked.
/// </summary>
[Alias("flops.IDeviceDirectoryGrain")]
public interface IDeviceDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Shards of one tenant's directory of one tag: a million devices make ~16,000 ids per shard.</summary>
    public const int Shards = 64;

    [Alias("Add")]
    Task Add(string deviceId);

    /// <summary>Adds a batch with one state write.</summary>
    [Alias("AddMany")]
    Task AddMany(IReadOnlyList<string> deviceIds);

    [Alias("Remove")]
    Task Remove(string deviceId);

    [Alias("List")]
    Task<IReadOnlyList<string>> List();

    [Alias("Count")]
    Task<int> Count();

    /// <summary>The ids at these positions of the shard's ordinal order; positions past the end (the shard shrank) are left out.</summary>
    [Alias("At")]
    Task<IReadOnlyList<string>> At(IReadOnlyList<int> positions);

    /// <summary>The directory of <paramref name="tenant"/>'s devices tagged <paramref name="dataTag"/> (tags cannot hold '|'); devices registered before sharding live here.</summary>
    public static string KeyFor(string tenant, string dataTag) => $"{tenant}|{dataTag}";

    /// <summary>Shard <paramref name="shard"/> (0 … <see cref="Shards"/> − 1) of a directory.</summary>
    public static string ShardKeyFor(string directoryKey, int shard) => $"{directoryKey}|{shard}";
}
