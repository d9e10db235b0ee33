using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls.Tests;

/// <summary>Certificates that <see cref="ClusterCertificates"/> would never make, signed by a directory's CA, to see them refused.</summary>
internal static class HandMadeCertificates
{
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>Writes <c>NAME.crt</c> and <c>NAME.key</c> into the directory and returns them with its CA.</summary>
    public static TlsFiles Issue(CertificateDirectory directory, string name, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] usages)
    {
        using var authority = X509Certificate2.CreateFromPemFile(directory.AuthorityPath, directory.AuthorityKeyPath);
        using var authorityKey = authority.GetECDsaPrivateKey()!;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        if (usages.Length > 0)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        // Through a signature generator: the issuer-certificate overload refuses validities outside the CA's.
        using var certificate = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), notBefore, notAfter, [0x01, 0x02, 0x03]);
        File.WriteAllText(directory.File($"{name}.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(directory.File($"{name}.key"), key.ExportPkcs8PrivateKeyPem());
        return directory.FilesOf(name);
    }
}
