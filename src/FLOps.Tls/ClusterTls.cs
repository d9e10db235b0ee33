using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls;

/// <summary>
/// One host's part of the cluster's mutual TLS: its certificate with its private key, and the
/// cluster's private CA that every peer's certificate must be signed by. A peer is a member of
/// the cluster because the CA signed it, whatever name it was reached by.
/// </summary>
public sealed class ClusterTls : IDisposable
{
    private ClusterTls(X509Certificate2 certificate, X509Certificate2 authority)
    {
        Certificate = certificate;
        Authority = authority;
        ValidationCallback = (_, peer, _, _) => Verify(peer).Trusted;
    }

    /// <summary>This host's certificate with its private key, for TLS servers and clients alike.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster's CA: the only certificate peers are judged against.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>
    /// For <see cref="SslStream"/> (server and client): trusts a peer if and only if
    /// <see cref="Verify"/> does. It ignores the errors the platform reports, which come from the
    /// machine's trust store and from the name the peer was reached by: silos reach each other by
    /// address and the CA vouches for membership. HTTPS clients of a gateway check the name as
    /// well, through <see cref="PrivateAuthority"/>.
    /// </summary>
    public RemoteCertificateValidationCallback ValidationCallback { get; }

    /// <summary>
    /// Reads and checks the three PEM files: the key matches the certificate, the certificate is
    /// signed by the CA, valid now, and usable by a TLS server and client.
    /// </summary>
    /// <exception cref="TlsConfigurationException">A file is missing or wrong; the message names it.</exception>
    public static ClusterTls Load(TlsFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var withEphemeralKey = PemFiles.ReadCertificateWithKey(files.CertificatePath, PemFiles.CertificateRole, files.KeyPath, PemFiles.KeyRole);
        RequireServerAndClientUse(withEphemeralKey, files.CertificatePath);
        var authority = PemFiles.ReadAuthority(files.AuthorityPath);
        try
        {
            var verdict = AuthorityChain.Verify(withEphemeralKey, authority);
            if (!verdict.Trusted)
            {
                throw new TlsConfigurationException($"{PemFiles.CertificateRole} '{files.CertificatePath}' does not go with {PemFiles.AuthorityRole} '{files.AuthorityPath}': {verdict.Reason}");
            }

            // On Linux an ephemeral key (CopyWithPrivateKey) cannot always serve SslStream; the
            // same certificate through PKCS#12 comes back with a key every TLS stack accepts.
            var certificate = X509CertificateLoader.LoadPkcs12(withEphemeralKey.Export(X509ContentType.Pkcs12), null);
            return new ClusterTls(certificate, authority);
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    /// <summary>Judges a peer's certificate against the cluster CA only.</summary>
    public PeerVerdict Verify(X509Certificate? peer) => AuthorityChain.Verify(peer, Authority);

    public void Dispose()
    {
        Certificate.Dispose();
        Authority.Dispose();
    }

    // Every silo is both a TLS server and a TLS client of the others; a certificate restricted to
    // one role would fail half its handshakes, so it is refused at start instead.
    private static void RequireServerAndClientUse(X509Certificate2 certificate, string path)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (usages is null)
        {
            return;
        }

        var allowed = usages.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(oid => oid.Value).ToHashSet();
        var missing = new[] { (Oid: KeyPurposes.ServerAuthentication, Name: "serverAuth"), (Oid: KeyPurposes.ClientAuthentication, Name: "clientAuth") }
            .Where(purpose => !allowed.Contains(purpose.Oid))
            .Select(purpose => purpose.Name)
            .ToList();
        if (missing.Count > 0)
        {
            throw new TlsConfigurationException($"{PemFiles.CertificateRole} '{path}': certificate '{certificate.Subject}' lacks the extended key usage {string.Join(" and ", missing)} (a host is TLS server and client)");
        }
    }
}
