using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls;

/// <summary>
/// HTTPS clients (a learner, the CLI) of a gateway whose certificate is signed by the cluster's
/// private CA: they trust that CA and no other, and still check that the certificate names the
/// host they asked for, as a browser would.
/// </summary>
public static class PrivateAuthority
{
    /// <summary>A new handler that trusts only the CA in <paramref name="caPemPath"/>.</summary>
    /// <exception cref="TlsConfigurationException">The CA file is missing or wrong; the message names it.</exception>
    public static SocketsHttpHandler TrustingHandler(string caPemPath) => TrustOnly(new SocketsHttpHandler(), caPemPath);

    /// <summary>Makes an existing handler (with settings of its own) trust only the CA in <paramref name="caPemPath"/>.</summary>
    /// <exception cref="TlsConfigurationException">The CA file is missing or wrong; the message names it.</exception>
    public static SocketsHttpHandler TrustOnly(SocketsHttpHandler handler, string caPemPath)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(caPemPath);
        handler.SslOptions.RemoteCertificateValidationCallback = ServerValidationCallback(PemFiles.ReadAuthority(caPemPath));
        return handler;
    }

    /// <summary>
    /// Trusts a server whose certificate chains to <paramref name="authority"/> and names the host
    /// it was reached by. The platform's chain errors are replaced by the check against the CA;
    /// its name mismatch is kept.
    /// </summary>
    public static RemoteCertificateValidationCallback ServerValidationCallback(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return (_, certificate, _, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && AuthorityChain.Verify(certificate, authority).Trusted;
    }
}
