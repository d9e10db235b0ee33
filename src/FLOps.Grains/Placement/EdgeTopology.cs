using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace FLOps.Grains.Placement;

/// <summary>Which silos are alive, and of which role, as this silo sees them (membership and the silo metadata cache).</summary>
public interface IEdgeTopology
{
    /// <summary>Live silos of each edge cluster.</summary>
    IReadOnlyDictionary<string, int> LiveEdgeClusters();

    /// <summary>Whether grains of <paramref name="cluster"/> can be placed now.</summary>
    bool IsAvailable(string cluster);
}

public sealed class EdgeTopology(IClusterMembershipService membership, ISiloMetadataCache metadata, IOptions<EdgePlacementOptions> options) : IEdgeTopology
{
    public IReadOnlyDictionary<string, int> LiveEdgeClusters() =>
        membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => SiloRole.FromMetadata(metadata.GetSiloMetadata(m.SiloAddress).Metadata))
            .Where(r => r.IsEdge)
            .GroupBy(r => r.Cluster!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public bool IsAvailable(string cluster) => !options.Value.Strict || LiveEdgeClusters().ContainsKey(cluster);
}
