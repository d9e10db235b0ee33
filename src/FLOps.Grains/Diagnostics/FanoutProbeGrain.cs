using System.Diagnostics;

namespace FLOps.Grains.Diagnostics;

public sealed class FanoutProbeGrain : Grain, IFanoutProbeGrain
{
    public async Task<double> FanOut(string prefix, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var started = Stopwatch.GetTimestamp();
        var calls = new Task[count];
        for (var i = 0; i < count; i++)
        {
            calls[i] = GrainFactory.GetGrain<IFanoutTargetGrain>($"{prefix}/{i}").Ping();
        }

        await Task.WhenAll(calls);
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
