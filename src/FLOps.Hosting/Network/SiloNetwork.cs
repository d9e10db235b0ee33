using System.Net;
using FLOps.Tls;

namespace FLOps.Hosting.Network;

/// <summary>
/// Where a silo is reached and listens. Other silos and clients find it at <see cref="Advertise"/>
/// (published in the membership table); it listens there too, or on every interface with
/// <see cref="ListenOnAnyInterface"/> (a host behind NAT or in a container).
/// </summary>
public sealed record SiloNetwork
{
    public static SiloNetwork Loopback { get; } = new();

    public IPAddress Advertise { get; init; } = IPAddress.Loopback;

    public bool ListenOnAnyInterface { get; init; }

    /// <summary>Mutual TLS for silo-to-silo and client-to-silo connections; plaintext when null.</summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>Whether anything of this silo can be reached from another machine.</summary>
    public bool IsExposed => ListenOnAnyInterface || !IPAddress.IsLoopback(Advertise);
}
