using FLOps.Abstractions.Edge;

namespace FLOps.Grains.Placement;

/// <summary>Answers from the silo metadata cache of the cloud silo it lives on; holds no state.</summary>
[EdgePlacement(EdgePlacementScope.Cloud)]
public sealed class TopologyGrain(IEdgeTopology topology) : Grain, ITopologyGrain
{
    public Task<IReadOnlyDictionary<string, int>> LiveEdgeClusters() => Task.FromResult(topology.LiveEdgeClusters());
}
