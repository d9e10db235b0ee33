namespace FLOps.Grains.Diagnostics;

/// <summary>Placed as device grains are (randomly over the silos), so the fan-out crosses silos as a round's does.</summary>
[Orleans.Placement.RandomPlacement]
public sealed class FanoutTargetGrain : Grain, IFanoutTargetGrain
{
    public Task Ping() => Task.CompletedTask;
}
