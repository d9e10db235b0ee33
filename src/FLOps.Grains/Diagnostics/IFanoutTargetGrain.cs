namespace FLOps.Grains.Diagnostics;

/// <summary>A grain that does nothing: what a fan-out costs when the callee's work is nil.</summary>
[Alias("flops.IFanoutTargetGrain")]
public interface IFanoutTargetGrain : IGrainWithStringKey
{
    [Alias("Ping")]
    Task Ping();
}
