using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls;

/// <summary>
/// Makes a cluster's certificates: a private CA (<c>ca.crt</c>, <c>ca.key</c>) and, for each host,
/// <c>HOST.crt</c> and <c>HOST.key</c> signed by it, all PEM. A CA already in the directory is
/// reused, so a host can join later with a certificate its peers already trust.
/// </summary>
public static class ClusterCertificates
{
    public const string AuthorityCertificateFile = "ca.crt";
    public const string AuthorityKeyFile = "ca.key";

    /// <summary>825 days: the longest a TLS server certificate may live by the CA/Browser Forum's rules that most clients keep.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(825);

    public static readonly TimeSpan AuthorityValidity = TimeSpan.FromDays(3650);

    // Machines' clocks differ: a certificate valid only from this second would be refused for a
    // while by a peer whose clock is a little behind.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Writes the CA (unless the directory has one) and a certificate and key for each host: an IP
    /// address gets an IP address SAN, a name a DNS SAN, and both a DNS SAN of the text as given.
    /// A host's existing files are replaced. Keys are readable by their owner only.
    /// </summary>
    /// <returns>The paths written, CA first.</returns>
    /// <exception cref="ArgumentException">A host is neither an IP address nor a DNS name; nothing is written.</exception>
    /// <exception cref="TlsConfigurationException">The directory's CA files are incomplete, unreadable or expired.</exception>
    public static IReadOnlyList<string> Create(string outDirectory, IReadOnlyList<string> hosts, TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDirectory);
        ArgumentNullException.ThrowIfNull(hosts);
        var lifetime = validity ?? DefaultValidity;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero, nameof(validity));
        if (hosts.Count == 0)
        {
            throw new ArgumentException("at least one host is needed");
        }

        // Every host is checked before anything is written.
        var names = hosts.Select(HostName.Parse).DistinctBy(host => host.Text, StringComparer.OrdinalIgnoreCase).ToList();
        Directory.CreateDirectory(outDirectory);
        var written = new List<string>();
        var now = DateTimeOffset.UtcNow;
        using var authority = LoadOrCreateAuthority(outDirectory, now, written);
        var notAfter = authority.NotAfter.ToUniversalTime() - now > lifetime ? now + lifetime : new DateTimeOffset(authority.NotAfter.ToUniversalTime());
        if (notAfter <= now)
        {
            throw new TlsConfigurationException($"{PemFiles.AuthorityRole} '{Path.Combine(outDirectory, AuthorityCertificateFile)}' expired on {authority.NotAfter.ToUniversalTime():u}; move {AuthorityCertificateFile} and {AuthorityKeyFile} away to make a new CA (and new certificates for every host)");
        }

        foreach (var host in names)
        {
            var (certificate, key) = IssueHostCertificate(authority, host, now - ClockSkew, notAfter);
            written.Add(WriteFile(Path.Combine(outDirectory, $"{host.Text}.crt"), certificate, secret: false));
            written.Add(WriteFile(Path.Combine(outDirectory, $"{host.Text}.key"), key, secret: true));
        }

        return written;
    }

    private static X509Certificate2 LoadOrCreateAuthority(string directory, DateTimeOffset now, List<string> written)
    {
        var certificatePath = Path.Combine(directory, AuthorityCertificateFile);
        var keyPath = Path.Combine(directory, AuthorityKeyFile);
        var (hasCertificate, hasKey) = (File.Exists(certificatePath), File.Exists(keyPath));
        if (hasCertificate && hasKey)
        {
            return PemFiles.ReadCertificateWithKey(certificatePath, PemFiles.AuthorityRole, keyPath, "TLS CA key file");
        }

        if (hasCertificate || hasKey)
        {
            var (present, absent) = hasCertificate ? (certificatePath, keyPath) : (keyPath, certificatePath);
            throw new TlsConfigurationException($"'{absent}' is missing next to '{present}': give both to add hosts to that CA, or neither to make a new one");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();

        // Every cluster's CA has a name of its own, so a refusal says which CA a stray certificate is not from.
        name.AddCommonName($"FLOps cluster CA {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var authority = request.CreateSelfSigned(now - ClockSkew, now + AuthorityValidity);
        written.Add(WriteFile(certificatePath, authority.ExportCertificatePem(), secret: false));
        written.Add(WriteFile(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true));
        return authority;
    }

    private static (string Certificate, string Key) IssueHostCertificate(X509Certificate2 authority, HostName host, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(host.Text);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new(KeyPurposes.ServerAuthentication), new(KeyPurposes.ClientAuthentication)], critical: false));
        request.CertificateExtensions.Add(AlternativeNames(host));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(SubjectKeyIdentifier(authority)));
        using var certificate = request.Create(authority.SubjectName, SignatureGenerator(authority), notBefore, notAfter, SerialNumber());
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    // Clients differ in where they look for an IP address (an IP SAN, or a DNS SAN with its text),
    // so an address has both.
    private static X509Extension AlternativeNames(HostName host)
    {
        var names = new SubjectAlternativeNameBuilder();
        if (host.Address is not null)
        {
            names.AddIpAddress(host.Address);
        }

        names.AddDnsName(host.Text);
        return names.Build();
    }

    // A CA made elsewhere may lack the extension; its key's identifier is then computed the usual way.
    private static X509SubjectKeyIdentifierExtension SubjectKeyIdentifier(X509Certificate2 authority) =>
        authority.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()
        ?? new X509SubjectKeyIdentifierExtension(authority.PublicKey, critical: false);

    // A reused CA may have an RSA key: the generator follows the CA's key, not the host's.
    private static X509SignatureGenerator SignatureGenerator(X509Certificate2 authority) =>
        authority.GetECDsaPrivateKey() is { } ecdsa
            ? X509SignatureGenerator.CreateForECDsa(ecdsa)
            : X509SignatureGenerator.CreateForRSA(
                authority.GetRSAPrivateKey() ?? throw new TlsConfigurationException($"the CA '{authority.Subject}' has neither an ECDSA nor an RSA key"),
                RSASignaturePadding.Pkcs1);

    // Positive (top bit clear) and unpredictable, as RFC 5280 and the CA/Browser Forum ask.
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    /// <summary>
    /// Writes through a temporary file created with its final mode, then renames it: a key is
    /// never readable by others, not even for a moment, and a reader never sees half a file.
    /// </summary>
    private static string WriteFile(string path, string pem, bool secret)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        var mode = secret
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
            {
                writer.Write(pem);
                writer.Write('\n');
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        // The process's umask narrows the mode it was created with; a key's is set whatever the umask.
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }
}
