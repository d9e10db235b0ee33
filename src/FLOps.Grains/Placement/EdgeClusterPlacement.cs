using System.Globalization;
using FLOps.Abstractions.Edge;
using Microsoft.Extensions.Options;
using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace FLOps.Grains.Placement;

/// <summary>Where a grain type may live.</summary>
public enum EdgePlacementScope
{
    /// <summary>On cloud silos (any silo that is not an edge silo).</summary>
    Cloud = 0,

    /// <summary>On the silos of the edge cluster its key names (<c>…@cluster</c>); on cloud silos when the key names none.</summary>
    ClusterOfKey = 1,
}

/// <summary>Restricts a grain type's placement by the silos' FLOps role (see <see cref="EdgePlacementScope"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class EdgePlacementAttribute(EdgePlacementScope scope) : PlacementFilterAttribute(new EdgePlacementFilterStrategy(scope))
{
    public EdgePlacementScope Scope { get; } = scope;
}

public sealed class EdgePlacementFilterStrategy(EdgePlacementScope scope) : PlacementFilterStrategy(order: 0)
{
    private const string ScopeProperty = "scope";

    public EdgePlacementFilterStrategy()
        : this(EdgePlacementScope.Cloud)
    {
    }

    public EdgePlacementScope Scope { get; private set; } = scope;

    public override void AdditionalInitialize(GrainProperties properties) =>
        Scope = Enum.Parse<EdgePlacementScope>(GetPlacementFilterGrainProperty(ScopeProperty, properties) ?? nameof(EdgePlacementScope.Cloud));

    protected override IEnumerable<KeyValuePair<string, string>> GetAdditionalGrainProperties(
        IServiceProvider services, Type grainClass, GrainType grainType, IReadOnlyDictionary<string, string> existingProperties)
    {
        yield return new(ScopeProperty, Scope.ToString());
    }
}

/// <summary>
/// Keeps a grain keyed to an edge cluster on that cluster's silos, by their metadata, and every
/// other FLOps grain on cloud silos. With no live silo of the cluster (and strict placement) it
/// throws <see cref="EdgeClusterUnavailableException"/> rather than place the grain elsewhere:
/// the device's data lives there.
/// </summary>
public sealed class EdgePlacementFilterDirector(ISiloMetadataCache metadata, IOptions<EdgePlacementOptions> options) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var scope = (filterStrategy as EdgePlacementFilterStrategy)?.Scope ?? EdgePlacementScope.Cloud;
        var candidates = silos.Select(s => (Silo: s, Role: SiloRole.FromMetadata(metadata.GetSiloMetadata(s).Metadata))).ToList();
        var key = target.GrainIdentity.Key.ToString();
        if (scope == EdgePlacementScope.ClusterOfKey && EdgeKeys.ClusterOf(key) is { } cluster)
        {
            var edge = candidates.Where(c => c.Role.IsEdge && c.Role.Cluster == cluster).Select(c => c.Silo).ToList();
            if (edge.Count > 0)
            {
                return edge;
            }

            if (options.Value.Strict)
            {
                throw new EdgeClusterUnavailableException(cluster, key);
            }
        }

        var cloud = candidates.Where(c => !c.Role.IsEdge).Select(c => c.Silo).ToList();
        return cloud.Count > 0
            ? cloud
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"no live cloud silo to place '{key}' on ({candidates.Count} edge silos only)"));
    }
}
