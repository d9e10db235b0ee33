using FLOps.Grains.Telemetry;
using Microsoft.Extensions.Options;

namespace FLOps.Grains;

/// <summary>
/// What a silo is for: <c>cloud</c> (projects, rounds, aggregation) or <c>edge</c> (the devices
/// and partial aggregation of one edge cluster). Set it with
/// <c>services.Configure&lt;FlopsSiloRole&gt;(...)</c>; every silo is a cloud silo unless told.
/// </summary>
public sealed class FlopsSiloRole
{
    public const string Cloud = "cloud";
    public const string Edge = "edge";

    public string Role { get; set; } = Cloud;

    /// <summary>The edge cluster of an edge silo; <c>cloud</c> for a cloud silo.</summary>
    public string Cluster { get; set; } = Cloud;
}

/// <summary>Reports the silo's role as <c>flops.silo.info</c> while the silo is active.</summary>
internal sealed class SiloInfoPublisher(IOptions<FlopsSiloRole> role) : ILifecycleParticipant<ISiloLifecycle>
{
    private IDisposable? _running;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(SiloInfoPublisher),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _running = FlopsMetrics.SiloRunning(role.Value.Role, role.Value.Cluster);
                return Task.CompletedTask;
            },
            _ =>
            {
                _running?.Dispose();
                return Task.CompletedTask;
            });
}
