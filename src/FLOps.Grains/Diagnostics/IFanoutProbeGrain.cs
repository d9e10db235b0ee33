namespace FLOps.Grains.Diagnostics;

/// <summary>
/// The yardstick of <c>flops bench scale</c>: a grain that calls <see cref="IFanoutTargetGrain.Ping"/>
/// on many grains at once and awaits them all, as a round hands out its task, so that a round's
/// orchestration can be read as a multiple of a bare Orleans fan-out measured in the same process.
/// </summary>
[Alias("flops.IFanoutProbeGrain")]
public interface IFanoutProbeGrain : IGrainWithStringKey
{
    /// <summary>Pings targets <c>{prefix}/0</c> … <c>{prefix}/{count − 1}</c>; the seconds it took, measured inside the grain.</summary>
    [Alias("FanOut")]
    Task<double> FanOut(string prefix, int count);
}
