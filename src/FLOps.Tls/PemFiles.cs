using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls;

/// <summary>
/// Reads the PEM files of a <see cref="TlsFiles"/>, turning every way one can be wrong into a
/// <see cref="TlsConfigurationException"/> that names the file: an operator sees which of three
/// paths to fix, not a stack trace from deep inside the TLS handshake.
/// </summary>
internal static class PemFiles
{
    public const string CertificateRole = "TLS certificate file";
    public const string KeyRole = "TLS key file";
    public const string AuthorityRole = "TLS CA file";

    public static string ReadText(string path, string role)
    {
        if (!File.Exists(path))
        {
            throw new TlsConfigurationException($"{role} '{path}' does not exist");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsConfigurationException($"{role} '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The one certificate of a CA file, which must be a certificate authority.</summary>
    public static X509Certificate2 ReadAuthority(string path)
    {
        var certificates = ReadCertificates(path, AuthorityRole);
        if (certificates.Count == 0)
        {
            throw new TlsConfigurationException($"{AuthorityRole} '{path}' has no certificate (no -----BEGIN CERTIFICATE----- block)");
        }

        // Trusting a bundle would trust every CA in it; the cluster has exactly one.
        if (certificates.Count > 1)
        {
            var count = certificates.Count;
            DisposeAll(certificates);
            throw new TlsConfigurationException($"{AuthorityRole} '{path}' holds {count} certificates; give only the cluster CA's");
        }

        var authority = certificates[0];
        if (!IsAuthority(authority))
        {
            var subject = authority.Subject;
            authority.Dispose();
            throw new TlsConfigurationException($"{AuthorityRole} '{path}' holds '{subject}', which is not a certificate authority");
        }

        return authority;
    }

    /// <summary>
    /// The first certificate of <paramref name="certificatePath"/> (any after it are a chain, not
    /// needed with a private CA) joined with the private key of <paramref name="keyPath"/>. Its key
    /// is ephemeral: good for signing, not for every TLS stack (see <see cref="ClusterTls"/>).
    /// </summary>
    public static X509Certificate2 ReadCertificateWithKey(string certificatePath, string certificateRole, string keyPath, string keyRole)
    {
        var certificates = ReadCertificates(certificatePath, certificateRole);
        try
        {
            if (certificates.Count == 0)
            {
                throw new TlsConfigurationException($"{certificateRole} '{certificatePath}' is not PEM: it has no -----BEGIN CERTIFICATE----- block");
            }

            var certificate = certificates[0];
            using var key = ReadPrivateKey(ReadText(keyPath, keyRole), keyPath, keyRole);
            try
            {
                return key switch
                {
                    ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                    RSA rsa => certificate.CopyWithPrivateKey(rsa),
                    _ => throw new ArgumentException("neither ECDSA nor RSA"),
                };
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException or InvalidOperationException)
            {
                throw new TlsConfigurationException($"{keyRole} '{keyPath}' does not match the certificate '{certificate.Subject}' in '{certificatePath}'", e);
            }
        }
        finally
        {
            DisposeAll(certificates);
        }
    }

    public static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(constraints => constraints.CertificateAuthority);

    private static X509Certificate2Collection ReadCertificates(string path, string role)
    {
        var text = ReadText(path, role);
        var certificates = new X509Certificate2Collection();
        try
        {
            // Skips whatever is not a CERTIFICATE block, so an empty collection means "not PEM".
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            DisposeAll(certificates);
            throw new TlsConfigurationException($"{role} '{path}' holds a certificate that cannot be read: {e.Message}", e);
        }

        return certificates;
    }

    private static AsymmetricAlgorithm ReadPrivateKey(string text, string path, string role)
    {
        var labels = Labels(text);
        if (labels.Contains("ENCRYPTED PRIVATE KEY"))
        {
            throw new TlsConfigurationException($"{role} '{path}' is encrypted; give it unencrypted (and readable only by its owner)");
        }

        if (!labels.Any(label => label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)))
        {
            throw new TlsConfigurationException($"{role} '{path}' is not a PEM private key: it has no -----BEGIN PRIVATE KEY----- block");
        }

        // PKCS#8 does not say which algorithm its key is for without parsing it; trying both does.
        foreach (var create in new Func<AsymmetricAlgorithm>[] { ECDsa.Create, RSA.Create })
        {
            var key = create();
            try
            {
                key.ImportFromPem(text);
                return key;
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                key.Dispose();
            }
        }

        throw new TlsConfigurationException($"{role} '{path}' holds no ECDSA or RSA private key that can be read");
    }

    private static HashSet<string> Labels(string text)
    {
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            labels.Add(rest[fields.Label].ToString());
            rest = rest[fields.Location.End..];
        }

        return labels;
    }

    private static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
