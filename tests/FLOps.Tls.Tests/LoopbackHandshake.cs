using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls.Tests;

/// <summary>
/// A TLS server and client on loopback sockets, each judging the other with
/// <see cref="ClusterTls.ValidationCallback"/> as two silos do, that exchange one byte each way
/// once the handshake is done.
/// </summary>
internal static class LoopbackHandshake
{
    private const byte FromServer = 42;
    private const byte FromClient = 43;

    /// <summary>What each side saw: its error, if any, and the certificate the other side presented.</summary>
    public sealed record Side(Exception? Error, string? PeerSubject, bool ReceivedByte);

    public sealed record Outcome(Side Server, Side Client);

    /// <param name="clientCertificate">What the client presents; null presents nothing.</param>
    public static async Task<Outcome> RunAsync(ClusterTls server, ClusterTls client, X509Certificate2? clientCertificate)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        // A safety net so a broken handshake fails the test instead of hanging it; never a timing assertion.
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var serverSide = ServeAsync(listener, server, hang.Token);
        var clientSide = ConnectAsync(port, client, clientCertificate, hang.Token);
        return new Outcome(await serverSide, await clientSide);
    }

    private static async Task<Side> ServeAsync(TcpListener listener, ClusterTls tls, CancellationToken cancellationToken)
    {
        using var socket = await listener.AcceptTcpClientAsync(cancellationToken);
        await using var stream = new SslStream(socket.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = tls.Certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = tls.ValidationCallback,
        };
        return await ExchangeAsync(stream, () => stream.AuthenticateAsServerAsync(options, cancellationToken), send: FromServer, expect: FromClient, cancellationToken);
    }

    private static async Task<Side> ConnectAsync(int port, ClusterTls tls, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        await using var stream = new SslStream(socket.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = certificate is null ? null : [certificate],
            RemoteCertificateValidationCallback = tls.ValidationCallback,
        };
        return await ExchangeAsync(stream, () => stream.AuthenticateAsClientAsync(options, cancellationToken), send: FromClient, expect: FromServer, cancellationToken);
    }

    // With TLS 1.3 a client finishes its handshake before the server has judged the client's
    // certificate: a refused client learns of it only when it reads. So each side sends, then reads.
    private static async Task<Side> ExchangeAsync(SslStream stream, Func<Task> authenticate, byte send, byte expect, CancellationToken cancellationToken)
    {
        try
        {
            await authenticate();
            await stream.WriteAsync(new[] { send }, cancellationToken);
            var received = new byte[1];
            var count = await stream.ReadAsync(received, cancellationToken);
            return new Side(null, stream.RemoteCertificate?.Subject, count == 1 && received[0] == expect);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return new Side(e, PeerSubject: null, ReceivedByte: false);
        }
    }
}
