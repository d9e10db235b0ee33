using FLOps.Abstractions.Edge;

namespace FLOps.Grains.Placement;

/// <summary>
/// What a silo is in a hierarchical deployment: a cloud silo, or an edge silo of a named cluster.
/// It travels as silo metadata (<see cref="RoleKey"/>, <see cref="ClusterKey"/>), which every silo
/// caches and placement reads.
/// </summary>
public sealed record SiloRole
{
    public const string Cloud = "cloud";
    public const string Edge = "edge";

    public const string RoleKey = "flops.role";
    public const string ClusterKey = "flops.cluster";

    public static SiloRole CloudSilo { get; } = new();

    public string Role { get; init; } = Cloud;

    /// <summary>The edge cluster of an edge silo; <see langword="null"/> for a cloud silo.</summary>
    public string? Cluster { get; init; }

    public bool IsEdge => Role == Edge;

    public static SiloRole EdgeOf(string cluster) => new() { Role = Edge, Cluster = cluster };

    /// <summary>The role from command-line words; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static SiloRole Parse(string? role, string? cluster)
    {
        switch (role?.Trim().ToLowerInvariant())
        {
            case null or "" or Cloud:
                return cluster is null ? CloudSilo : throw new ArgumentException("--cluster names the edge cluster of an edge silo; a cloud silo has none");
            case Edge:
                return EdgeKeys.IsValidClusterName(cluster)
                    ? EdgeOf(cluster!)
                    : throw new ArgumentException($"--cluster: an edge silo needs a cluster name of 1 to 100 letters, digits, '-', '_' or '.' (got '{cluster}')");
            default:
                throw new ArgumentException($"--role: must be cloud or edge (got '{role}')");
        }
    }

    /// <summary>The silo metadata that publishes this role.</summary>
    public Dictionary<string, string> ToMetadata() => IsEdge
        ? new() { [RoleKey] = Edge, [ClusterKey] = Cluster! }
        : new() { [RoleKey] = Cloud };

    /// <summary>The role a silo's metadata names; a silo without any counts as cloud.</summary>
    public static SiloRole FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(RoleKey, out var role) && role == Edge && metadata.TryGetValue(ClusterKey, out var cluster)
            ? EdgeOf(cluster)
            : CloudSilo;
    }

    public override string ToString() => IsEdge ? $"edge/{Cluster}" : Cloud;
}

/// <summary>How strictly grains of an edge cluster are kept on its silos.</summary>
public sealed class EdgePlacementOptions
{
    /// <summary>
    /// <see langword="true"/>: a grain keyed to an edge cluster is placed only on that cluster's
    /// silos, and is unavailable while it has none (a deployment with edge silos).
    /// <see langword="false"/> (one embedded silo, the test cluster): clusters without an edge
    /// silo of their own are logical and their grains live on the cloud silos.
    /// </summary>
    public bool Strict { get; set; }
}
