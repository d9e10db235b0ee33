using System.Security.Authentication;

namespace FLOps.Tls.Tests;

public sealed class MutualTlsHandshakeTests
{
    [Fact]
    public async Task Two_hosts_of_one_cluster_authenticate_each_other_and_talk()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1", "edge-a");
        using var server = directory.Load("127.0.0.1");
        using var client = directory.Load("edge-a");

        var outcome = await LoopbackHandshake.RunAsync(server, client, client.Certificate);

        Assert.Null(outcome.Server.Error);
        Assert.Null(outcome.Client.Error);
        Assert.Equal("CN=edge-a", outcome.Server.PeerSubject);
        Assert.Equal("CN=127.0.0.1", outcome.Client.PeerSubject);
        Assert.True(outcome.Server.ReceivedByte);
        Assert.True(outcome.Client.ReceivedByte);
    }

    [Fact]
    public async Task A_client_of_another_cluster_is_refused_by_the_server_and_hears_nothing()
    {
        using var ours = CertificateDirectory.Create("127.0.0.1");
        using var theirs = CertificateDirectory.Create("edge-a");
        using var server = ours.Load("127.0.0.1");
        using var stranger = theirs.Load("edge-a");

        var outcome = await LoopbackHandshake.RunAsync(server, stranger, stranger.Certificate);

        Assert.IsType<AuthenticationException>(outcome.Server.Error);
        Assert.False(outcome.Server.ReceivedByte);
        Assert.False(outcome.Client.ReceivedByte);
    }

    [Fact]
    public async Task A_client_that_presents_no_certificate_is_refused_by_the_server()
    {
        using var directory = CertificateDirectory.Create("127.0.0.1", "edge-a");
        using var server = directory.Load("127.0.0.1");
        using var client = directory.Load("edge-a");

        var outcome = await LoopbackHandshake.RunAsync(server, client, clientCertificate: null);

        Assert.IsType<AuthenticationException>(outcome.Server.Error);
        Assert.False(outcome.Client.ReceivedByte);
    }

    [Fact]
    public async Task A_server_of_another_cluster_is_refused_by_the_client()
    {
        using var ours = CertificateDirectory.Create("edge-a");
        using var theirs = CertificateDirectory.Create("127.0.0.1");
        using var stranger = theirs.Load("127.0.0.1");
        using var client = ours.Load("edge-a");

        var outcome = await LoopbackHandshake.RunAsync(stranger, client, client.Certificate);

        Assert.IsType<AuthenticationException>(outcome.Client.Error);
        Assert.False(outcome.Server.ReceivedByte);
    }
}
