using System.Net;
using System.Net.Sockets;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback in front of a server. Told to, it forwards the next request whole and
/// then drops the connection as the server's answer begins: the server did the work, the client
/// never hears how it went, as when a device's network fails in the middle of an upload.
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _armed;
    private int _cut;

    public CuttingProxy(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients reach the server through the proxy.</summary>
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>How many answers the proxy dropped.</summary>
    public int AnswersCut => Volatile.Read(ref _cut);

    /// <summary>The next answer that starts to come back from the server is dropped with its connection.</summary>
    public void CutNextAnswer() => Volatile.Write(ref _armed, 1);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                var toServer = PumpAsync(client.GetStream(), server.GetStream(), answers: false);
                var toClient = PumpAsync(server.GetStream(), client.GetStream(), answers: true);
                await Task.WhenAny(toServer, toClient);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // the server or the client went away: so does the other side
            }

            // Reset rather than close: the client learns at once that the answer is lost.
            client.Client.LingerState = new LingerOption(true, 0);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool answers)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                if (answers && Interlocked.Exchange(ref _armed, 0) == 1)
                {
                    Interlocked.Increment(ref _cut);
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the connection ended while the bytes were on their way
        }
    }
}
