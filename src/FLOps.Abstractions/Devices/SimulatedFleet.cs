using System.Globalization;
using FLOps.Abstractions.Edge;

namespace FLOps.Abstractions.Devices;

/// <summary>
/// A project's simulated devices as data rather than as a list of ids: device i of
/// <see cref="Count"/> holds shard i of <see cref="Dataset"/> cut by <see cref="Partition"/> and
/// <see cref="Seed"/>, and in hierarchical mode lives in cluster <c>Clusters[i mod K]</c>. A round
/// samples indexes and names the chosen devices; a device that gets its first task learns its
/// shard from the task and its own id. Nobody creates or configures a hundred thousand devices
/// ahead, and no message carries a hundred thousand ids.
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.SimulatedFleet")]
public sealed record SimulatedFleet
{
    [Id(0)] public string ProjectId { get; init; } = "";

    [Id(1)] public string Dataset { get; init; } = "";

    [Id(2)] public string Partition { get; init; } = "iid";

    [Id(3)] public int Seed { get; init; }

    [Id(4)] public int Count { get; init; }

    /// <summary>Empty for a flat project; in hierarchical mode device i belongs to <c>Clusters[i mod Clusters.Count]</c>.</summary>
    [Id(5)] public IReadOnlyList<string> Clusters { get; init; } = [];

    /// <summary>Set for one edge cluster's inner rounds: only that cluster's devices are available.</summary>
    [Id(6)] public string? Cluster { get; init; }

    /// <summary>The project's <c>simulation.speedSpread</c>: the slowest device's compute factor; 1 (or an older plan's 0) for none.</summary>
    [Id(7)] public double SpeedSpread { get; init; } = 1;

    /// <summary>The project's <c>simulation.dropoutRate</c>: the share of tasks its devices abandon.</summary>
    [Id(8)] public double DropoutRate { get; init; }

    /// <summary>The devices of one cluster of this fleet.</summary>
    public SimulatedFleet InCluster(string cluster) => this with { Cluster = cluster };

    /// <summary>How many devices may be selected: all of them, or those of <see cref="Cluster"/>.</summary>
    public int Available =>
        Cluster is null ? Count
        : ClusterIndex is var c && c < 0 || c >= Count ? 0
        : ((Count - c - 1) / Clusters.Count) + 1;

    /// <summary>The device index at <paramref name="position"/> among the available devices, in index order.</summary>
    public int IndexAt(int position) => Cluster is null ? position : ClusterIndex + (position * Clusters.Count);

    /// <summary>The id of device <paramref name="index"/>: <c>{project}/sim-0042</c>, with <c>@{cluster}</c> in hierarchical mode.</summary>
    public string DeviceId(int index)
    {
        var id = DeviceIdOf(ProjectId, index);
        return Clusters.Count == 0 ? id : EdgeKeys.InCluster(id, Clusters[index % Clusters.Count]);
    }

    /// <summary>The index of one of this fleet's devices, from its id; false for any other id.</summary>
    public bool TryIndexOf(string deviceId, out int index)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        index = -1;
        var local = Clusters.Count > 0 && EdgeKeys.ClusterOf(deviceId) is { } cluster ? deviceId[..^(cluster.Length + 1)] : deviceId;
        var prefix = ProjectId + SimPrefix;
        if (!local.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(local.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            || parsed >= Count
            || DeviceId(parsed) != deviceId)
        {
            return false;
        }

        index = parsed;
        return true;
    }

    /// <summary>The shard device <paramref name="index"/> holds.</summary>
    public SimulatedShard ShardOf(int index) => new(Dataset, Partition, Seed, index, Count);

    /// <summary>The id of simulated device <paramref name="index"/> of a project, before any cluster is added.</summary>
    public static string DeviceIdOf(string projectId, int index) => $"{projectId}{SimPrefix}{index.ToString("D4", CultureInfo.InvariantCulture)}";

    private const string SimPrefix = "/sim-";

    private int ClusterIndex
    {
        get
        {
            for (var i = 0; i < Clusters.Count; i++)
            {
                if (string.Equals(Clusters[i], Cluster, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
