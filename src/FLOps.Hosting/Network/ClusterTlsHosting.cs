using FLOps.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace FLOps.Hosting.Network;

/// <summary>
/// Mutual TLS on every Orleans connection, trusting only the cluster's own CA: silos present
/// their certificate to each other and to clients, and clients (the gateway, programmatic
/// clients) present theirs to silos. A peer without a certificate, or with one the CA did not
/// sign, is refused, with one log line saying which and why.
/// </summary>
public static class ClusterTlsHosting
{
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(tls);
        silo.Services.AddOptions<SiloConnectionOptions>().Configure<ILoggerFactory>((connections, loggers) =>
        {
            var options = Options(tls, loggers.CreateLogger("FLOps.Tls"));
            connections.ConfigureSiloInboundConnection(connection => connection.UseServerTls(options));
            connections.ConfigureGatewayInboundConnection(connection => connection.UseServerTls(options));
            connections.ConfigureSiloOutboundConnection(connection => connection.UseClientTls(options));
        });
        return silo;
    }

    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(tls);
        client.Services.AddOptions<ClientConnectionOptions>().Configure<ILoggerFactory>((connections, loggers) =>
        {
            var options = Options(tls, loggers.CreateLogger("FLOps.Tls"));
            connections.ConfigureConnection(connection => connection.UseClientTls(options));
        });
        return client;
    }

    private static TlsOptions Options(ClusterTls tls, ILogger logger) => new()
    {
        LocalCertificate = tls.Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,

        // The operating system's trust store and host names play no part: a peer is one of the
        // cluster's when the cluster CA signed its certificate (silos dial each other by address).
        RemoteCertificateValidation = (certificate, _, _) =>
        {
            var verdict = tls.Verify(certificate);
            if (!verdict.Trusted)
            {
                logger.LogWarning("TLS: refused a peer of the cluster: {Reason}", verdict.Reason);
            }

            return verdict.Trusted;
        },
    };
}
