using System.Net;
using System.Security.Authentication;

namespace FLOps.Tls.Tests;

public sealed class PrivateAuthorityTests
{
    [Fact]
    public async Task A_client_that_trusts_the_cluster_ca_reaches_a_gateway_whose_certificate_it_signed()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1");
        using var gatewayTls = directory.Load("127.0.0.1");
        await using var gateway = await HttpsServer.StartAsync(gatewayTls.Certificate);
        using var client = new HttpClient(PrivateAuthority.TrustingHandler(directory.AuthorityPath));

        using var answer = await client.GetAsync(gateway.Address);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("hello", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_that_trusts_another_ca_refuses_the_gateway()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1");
        using var other = CertificateDirectory.Create("127.0.0.1");
        using var gatewayTls = directory.Load("127.0.0.1");
        await using var gateway = await HttpsServer.StartAsync(gatewayTls.Certificate);
        using var client = new HttpClient(PrivateAuthority.TrustingHandler(other.AuthorityPath));

        var refusal = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(gateway.Address));

        Assert.IsType<AuthenticationException>(refusal.InnerException);
    }

    [Fact]
    public async Task A_certificate_of_the_cluster_ca_for_another_host_is_refused_by_name()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        using var edgeTls = directory.Load("edge-a");
        await using var gateway = await HttpsServer.StartAsync(edgeTls.Certificate);
        using var client = new HttpClient(PrivateAuthority.TrustingHandler(directory.AuthorityPath));

        var refusal = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(gateway.Address));

        Assert.IsType<AuthenticationException>(refusal.InnerException);
    }

    [Fact]
    public async Task A_client_with_the_machine_trust_store_only_refuses_the_private_ca()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1");
        using var gatewayTls = directory.Load("127.0.0.1");
        await using var gateway = await HttpsServer.StartAsync(gatewayTls.Certificate);
        using var client = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(gateway.Address));
    }

    [Fact]
    public void A_handler_keeps_its_own_settings_when_told_to_trust_the_ca()
    {
        using var directory = CertificateDirectory.Create("edge-a");
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };

        var trusting = PrivateAuthority.TrustOnly(handler, directory.AuthorityPath);

        Assert.Same(handler, trusting);
        Assert.False(trusting.AllowAutoRedirect);
        Assert.NotNull(trusting.SslOptions.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void A_missing_ca_file_is_named()
    {
        using var directory = CertificateDirectory.Empty();
        var missing = directory.File("ca.crt");

        var refusal = Assert.Throws<TlsConfigurationException>(() => PrivateAuthority.TrustingHandler(missing));

        Assert.Equal($"TLS CA file '{missing}' does not exist", refusal.Message);
    }
}
