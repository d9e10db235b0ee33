using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace FLOps.Grains.Placement;

public static class EdgePlacementHosting
{
    /// <summary>
    /// Publishes the silo's role as silo metadata and installs the placement filter that keeps
    /// edge grains on their cluster's silos and the others on cloud silos.
    /// </summary>
    /// <param name="strict">See <see cref="EdgePlacementOptions.Strict"/>.</param>
    public static ISiloBuilder AddFlopsEdgePlacement(this ISiloBuilder silo, SiloRole role, bool strict)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(role);
        silo.UseSiloMetadata(role.ToMetadata());
        // The silo's own role, which its gauges report too (flops.silo.info).
        silo.Services.AddSingleton(role);
        silo.Services.Configure<EdgePlacementOptions>(o => o.Strict = strict);
        silo.Services.AddPlacementFilter<EdgePlacementFilterStrategy, EdgePlacementFilterDirector>(ServiceLifetime.Singleton);
        silo.Services.TryAddSingleton<IEdgeTopology, EdgeTopology>();
        return silo;
    }
}
