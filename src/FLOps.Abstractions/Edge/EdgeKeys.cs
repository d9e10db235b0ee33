namespace FLOps.Abstractions.Edge;

/// <summary>
/// How a grain key names the edge cluster its grain must live in: a key ending in
/// <c>@{cluster}</c> (a device <c>{project}/sim-0003@edge-a</c>, an edge aggregator
/// <c>{project}/{cycle}@edge-a</c>) is placed only on silos of that cluster; a key without one
/// on cloud silos.
/// </summary>
public static class EdgeKeys
{
    public const char Separator = '@';

    /// <summary>The cluster a key names, or <see langword="null"/>.</summary>
    public static string? ClusterOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf(Separator);
        return at >= 0 && at < key.Length - 1 ? key[(at + 1)..] : null;
    }

    /// <summary><paramref name="key"/> pinned to <paramref name="cluster"/>.</summary>
    public static string InCluster(string key, string cluster) => $"{key}{Separator}{cluster}";

    /// <summary>Whether a cluster name can travel in a key: 1 to 100 letters, digits, '-', '_' or '.'.</summary>
    public static bool IsValidClusterName(string? cluster) =>
        !string.IsNullOrEmpty(cluster) && cluster.Length <= 100 && cluster.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

/// <summary>A grain of an edge cluster could not be placed: no silo of that cluster is alive.</summary>
[GenerateSerializer, Alias("flops.EdgeClusterUnavailableException")]
public sealed class EdgeClusterUnavailableException : Exception
{
    public EdgeClusterUnavailableException(string cluster, string grain)
        : base($"edge cluster '{cluster}' has no live silo, so '{grain}' (whose data lives there) is unavailable")
    {
        Cluster = cluster;
    }

    public EdgeClusterUnavailableException()
    {
    }

    public EdgeClusterUnavailableException(string message)
        : base(message)
    {
    }

    public EdgeClusterUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)] public string Cluster { get; } = "";
}

/// <summary>The edge clusters a cloud silo sees live (for operators, tests and the demo's start-up).</summary>
[Alias("flops.ITopologyGrain")]
public interface ITopologyGrain : IGrainWithIntegerKey
{
    /// <summary>Live silos per edge cluster, as the cloud silo hosting this grain sees them.</summary>
    [Alias("LiveEdgeClusters")]
    Task<IReadOnlyDictionary<string, int>> LiveEdgeClusters();
}
