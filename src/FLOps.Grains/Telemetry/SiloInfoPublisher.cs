using FLOps.Grains.Placement;

namespace FLOps.Grains.Telemetry;

/// <summary>Reports the silo's role as <c>flops.silo.info</c> while the silo is active (cluster <c>cloud</c> for a cloud silo).</summary>
internal sealed class SiloInfoPublisher(SiloRole role) : ILifecycleParticipant<ISiloLifecycle>
{
    private IDisposable? _running;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(SiloInfoPublisher),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _running = FlopsMetrics.SiloRunning(role.Role, role.Cluster ?? SiloRole.Cloud);
                return Task.CompletedTask;
            },
            _ =>
            {
                _running?.Dispose();
                return Task.CompletedTask;
            });
}
