using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls.Tests;

public sealed class ClusterCertificatesTests
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    [Fact]
    public void Writes_the_ca_and_a_certificate_and_key_per_host_and_returns_their_paths()
    {
        using var directory = CertificateDirectory.Empty();

        var written = ClusterCertificates.Create(directory.Path, ["127.0.0.1", "edge-a"]);

        string[] expected = ["ca.crt", "ca.key", "127.0.0.1.crt", "127.0.0.1.key", "edge-a.crt", "edge-a.key"];
        Assert.Equal(expected.Select(directory.File), written);
        Assert.Equal(expected.Order(), Directory.GetFiles(directory.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Key_files_are_readable_and_writable_by_their_owner_only()
    {
        using var directory = CertificateDirectory.Create("edge-a");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.AuthorityKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.File("edge-a.key")));
        Assert.True(File.GetUnixFileMode(directory.File("edge-a.crt")).HasFlag(UnixFileMode.OtherRead));
    }

    [Fact]
    public void The_ca_is_a_certificate_authority_that_signs_certificates_only_directly()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        using var authority = X509CertificateLoader.LoadCertificateFromFile(directory.AuthorityPath);

        var constraints = authority.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.HasPathLengthConstraint);
        Assert.Equal(0, constraints.PathLengthConstraint);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, authority.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Single(authority.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.StartsWith("CN=FLOps cluster CA ", authority.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ip_address_host_gets_an_ip_address_san_and_a_dns_san_of_its_text()
    {
        using var directory = CertificateDirectory.Create("198.18.0.1");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(directory.File("198.18.0.1.crt"));

        var names = AlternativeNames(certificate);

        Assert.Equal([IPAddress.Parse("198.18.0.1")], names.EnumerateIPAddresses());
        Assert.Equal(["198.18.0.1"], names.EnumerateDnsNames());
        Assert.True(certificate.MatchesHostname("198.18.0.1"));
    }

    [Fact]
    public void A_named_host_gets_a_dns_san_and_no_ip_address()
    {
        using var directory = CertificateDirectory.Create("edge-a.example.org");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(directory.File("edge-a.example.org.crt"));

        var names = AlternativeNames(certificate);

        Assert.Equal(["edge-a.example.org"], names.EnumerateDnsNames());
        Assert.Empty(names.EnumerateIPAddresses());
        Assert.True(certificate.MatchesHostname("edge-a.example.org"));
        Assert.False(certificate.MatchesHostname("edge-b.example.org"));
    }

    [Fact]
    public void An_ipv6_host_gets_an_ip_address_san()
    {
        using var directory = CertificateDirectory.Create("::1");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(directory.File("::1.crt"));

        Assert.Equal([IPAddress.IPv6Loopback], AlternativeNames(certificate).EnumerateIPAddresses());
    }

    [Fact]
    public void A_host_certificate_serves_tls_servers_and_clients_and_names_its_ca_key()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        using var authority = X509CertificateLoader.LoadCertificateFromFile(directory.AuthorityPath);
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(directory.File("edge-a.crt"));

        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        Assert.Equal(
            [HandMadeCertificates.ServerAuthentication, HandMadeCertificates.ClientAuthentication],
            usages.Cast<System.Security.Cryptography.Oid>().Select(oid => oid.Value));
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(
            authority.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray(),
            certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single().KeyIdentifier!.Value.ToArray());
        Assert.Equal(authority.Subject, certificate.Issuer);
    }

    [Fact]
    public void Host_certificates_live_825_days_by_default_and_as_long_as_asked_otherwise()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        ClusterCertificates.Create(directory.Path, ["edge-b"], TimeSpan.FromDays(30));
        using var byDefault = X509CertificateLoader.LoadCertificateFromFile(directory.File("edge-a.crt"));
        using var asked = X509CertificateLoader.LoadCertificateFromFile(directory.File("edge-b.crt"));

        // Both start a few minutes early, for peers whose clocks are behind.
        Assert.InRange(byDefault.NotAfter - byDefault.NotBefore, TimeSpan.FromDays(825), TimeSpan.FromDays(825) + TimeSpan.FromMinutes(10));
        Assert.InRange(asked.NotAfter - asked.NotBefore, TimeSpan.FromDays(30), TimeSpan.FromDays(30) + TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void A_host_added_later_is_signed_by_the_ca_already_in_the_directory()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var authorityBefore = File.ReadAllText(directory.AuthorityPath);

        var written = ClusterCertificates.Create(directory.Path, ["edge-b"]);

        Assert.Equal([directory.File("edge-b.crt"), directory.File("edge-b.key")], written);
        Assert.Equal(authorityBefore, File.ReadAllText(directory.AuthorityPath));
        using var first = directory.Load("edge-a");
        using var later = directory.Load("edge-b");
        Assert.True(first.Verify(later.Certificate).Trusted);
    }

    [Fact]
    public void A_host_made_again_gets_a_new_certificate_and_key_in_place_of_the_old()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var keyBefore = File.ReadAllText(directory.File("edge-a.key"));

        ClusterCertificates.Create(directory.Path, ["edge-a"]);

        Assert.NotEqual(keyBefore, File.ReadAllText(directory.File("edge-a.key")));
        using var tls = directory.Load("edge-a");
        Assert.Equal(["ca.crt", "ca.key", "edge-a.crt", "edge-a.key"], Directory.GetFiles(directory.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_ca_certificate_without_its_key_is_refused_rather_than_replaced()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        File.Delete(directory.AuthorityKeyPath);

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterCertificates.Create(directory.Path, ["edge-b"]));

        Assert.Contains(directory.AuthorityKeyPath, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("is missing", refusal.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(directory.File("edge-b.crt")));
    }

    [Theory]
    [InlineData("../etc", "path separator")]
    [InlineData("certs/edge-a", "path separator")]
    [InlineData("edge_a", "not a DNS name")]
    [InlineData("-edge", "not a DNS name")]
    [InlineData("edge..a", "not a DNS name")]
    [InlineData("198.18.0.256", "not an IPv4 address")]
    [InlineData("10.1", "not an IPv4 address")]
    [InlineData("fe80::1%eth0", "not an IPv6 address")]
    [InlineData(" ", "cannot be empty")]
    public void A_host_that_is_neither_an_address_nor_a_dns_name_is_refused_before_anything_is_written(string host, string reason)
    {
        using var directory = CertificateDirectory.Empty();

        var refusal = Assert.Throws<ArgumentException>(() => ClusterCertificates.Create(directory.Path, ["edge-a", host]));

        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Message);
        Assert.False(Directory.Exists(directory.Path));
    }

    private static X509SubjectAlternativeNameExtension AlternativeNames(X509Certificate2 certificate) =>
        (X509SubjectAlternativeNameExtension)certificate.Extensions[SubjectAlternativeNameOid]!;
}
