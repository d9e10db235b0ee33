using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls.Tests;

public sealed class ClusterTlsTests
{
    [Fact]
    public void Loads_a_host_certificate_with_its_private_key_and_the_ca()
    {
        using var directory = CertificateDirectory.Create("edge-a");

        using var tls = directory.Load("edge-a");

        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=edge-a", tls.Certificate.Subject);
        Assert.StartsWith("CN=FLOps cluster CA ", tls.Authority.Subject, StringComparison.Ordinal);
        Assert.False(tls.Authority.HasPrivateKey);
    }

    [Fact]
    public void Trusts_certificates_signed_by_its_ca()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1", "edge-a");
        using var silo = directory.Load("127.0.0.1");
        using var peer = directory.Load("edge-a");

        var verdict = silo.Verify(peer.Certificate);

        Assert.True(verdict.Trusted, verdict.Reason);
        Assert.Contains("CN=edge-a", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_certificate_of_another_cluster_naming_both_it_and_its_own_ca()
    {
        using var ours = CertificateDirectory.Create("edge-a");
        using var theirs = CertificateDirectory.Create("edge-a");
        using var silo = ours.Load("edge-a");
        using var stranger = theirs.Load("edge-a");

        var verdict = silo.Verify(stranger.Certificate);

        Assert.False(verdict.Trusted);
        Assert.Equal($"certificate 'CN=edge-a' is not signed by the cluster CA '{silo.Authority.Subject}'", verdict.Reason);
    }

    [Fact]
    public void Refuses_a_peer_that_presents_no_certificate()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        using var silo = directory.Load("edge-a");

        Assert.Equal(new PeerVerdict(false, "no certificate presented"), silo.Verify(null));
    }

    [Fact]
    public void Refuses_an_expired_certificate_of_its_own_ca_saying_when_it_expired()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var expired = HandMadeCertificates.Issue(directory, "old", new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var silo = directory.Load("edge-a");
        using var old = X509CertificateLoader.LoadCertificateFromFile(expired.CertificatePath);

        var verdict = silo.Verify(old);

        Assert.False(verdict.Trusted);
        Assert.Equal("certificate 'CN=old' expired on 2021-01-01 00:00:00 UTC", verdict.Reason);
    }

    [Fact]
    public void Judges_a_certificate_given_as_the_base_type_as_sslstream_may_hand_it()
    {
        using var directory = CertificateDirectory.Create("edge-a", "edge-b");
        using var silo = directory.Load("edge-a");
#pragma warning disable SYSLIB0057 // the base type is what is being tried
        using var peer = new X509Certificate(File.ReadAllBytes(directory.File("edge-b.crt")));
#pragma warning restore SYSLIB0057

        Assert.True(silo.Verify(peer).Trusted);
    }

    [Theory]
    [InlineData("certificate")]
    [InlineData("key")]
    [InlineData("CA")]
    public void A_missing_file_is_named_with_its_role(string role)
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = directory.FilesOf("edge-a");
        var missing = role switch { "certificate" => files.CertificatePath, "key" => files.KeyPath, _ => files.AuthorityPath };
        File.Delete(missing);

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.Equal($"TLS {role} file '{missing}' does not exist", refusal.Message);
    }

    [Theory]
    [InlineData("certificate", "is not PEM")]
    [InlineData("key", "is not a PEM private key")]
    [InlineData("CA", "has no certificate")]
    public void A_file_that_is_not_pem_is_named_with_what_is_wrong(string role, string reason)
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = directory.FilesOf("edge-a");
        var garbled = role switch { "certificate" => files.CertificatePath, "key" => files.KeyPath, _ => files.AuthorityPath };
        File.WriteAllText(garbled, "this is not a certificate\n");

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.StartsWith($"TLS {role} file '{garbled}' {reason}", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_block_that_holds_garbage_is_named()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = directory.FilesOf("edge-a");
        File.WriteAllText(files.CertificatePath, "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n");

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.StartsWith($"TLS certificate file '{files.CertificatePath}' holds a certificate that cannot be read", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_host_does_not_match_the_certificate()
    {
        using var directory = CertificateDirectory.Create("edge-a", "edge-b");
        var files = directory.FilesOf("edge-a") with { KeyPath = directory.File("edge-b.key") };

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.Equal($"TLS key file '{files.KeyPath}' does not match the certificate 'CN=edge-a' in '{files.CertificatePath}'", refusal.Message);
    }

    [Fact]
    public void A_certificate_of_another_ca_is_refused_at_load_naming_both_files()
    {
        using var ours = CertificateDirectory.Create("edge-a");
        using var theirs = CertificateDirectory.Create("edge-a");
        var files = theirs.FilesOf("edge-a") with { AuthorityPath = ours.AuthorityPath };

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.StartsWith($"TLS certificate file '{files.CertificatePath}' does not go with TLS CA file '{ours.AuthorityPath}': certificate 'CN=edge-a' is not signed by the cluster CA", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_host_certificate_is_refused_at_load()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = HandMadeCertificates.Issue(directory, "old", new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.EndsWith("certificate 'CN=old' expired on 2021-01-01 00:00:00 UTC", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_certificate_only_for_servers_is_refused_because_every_host_is_also_a_client()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = HandMadeCertificates.Issue(directory, "server-only", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), HandMadeCertificates.ServerAuthentication);

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.Equal($"TLS certificate file '{files.CertificatePath}': certificate 'CN=server-only' lacks the extended key usage clientAuth (a host is TLS server and client)", refusal.Message);
    }

    [Fact]
    public void A_ca_file_that_holds_a_host_certificate_is_refused()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = directory.FilesOf("edge-a") with { AuthorityPath = directory.File("edge-a.crt") };

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.Equal($"TLS CA file '{files.AuthorityPath}' holds 'CN=edge-a', which is not a certificate authority", refusal.Message);
    }

    [Fact]
    public void An_encrypted_key_is_refused_with_what_to_do()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        var files = directory.FilesOf("edge-a");
        File.WriteAllText(files.KeyPath, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAECAwQF\n-----END ENCRYPTED PRIVATE KEY-----\n");

        var refusal = Assert.Throws<TlsConfigurationException>(() => ClusterTls.Load(files));

        Assert.Equal($"TLS key file '{files.KeyPath}' is encrypted; give it unencrypted (and readable only by its owner)", refusal.Message);
    }
}
