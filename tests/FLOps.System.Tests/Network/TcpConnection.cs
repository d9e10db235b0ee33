using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace FLOps.System.Tests.Network;

/// <summary>One line of <c>ss -tnp</c>: local and peer end, and the processes that hold the socket.</summary>
public sealed partial record TcpConnection(IPEndPoint Local, IPEndPoint Peer, IReadOnlyList<int> ProcessIds, string Line)
{
    /// <summary>Reads a line of <c>ss -tnpH</c> (<c>Recv-Q Send-Q Local Peer users:(("dotnet",pid=1,fd=2))</c>); <see langword="null"/> for anything else.</summary>
    public static TcpConnection? Parse(string line)
    {
        var ends = Endpoint().Matches(line);
        if (ends.Count < 2)
        {
            return null;
        }

        static IPEndPoint Read(Match m)
        {
            var address = IPAddress.Parse(m.Groups["address"].Value);
            return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture));
        }

        return new TcpConnection(Read(ends[0]), Read(ends[1]), [.. ProcessId().Matches(line).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))], line.Trim());
    }

    /// <summary>Whether either end is a loopback address (127.0.0.0/8, ::1).</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Local.Address) || IPAddress.IsLoopback(Peer.Address);

    // 198.18.1.10:11111, [::ffff:198.18.1.10]:11111, [::1]:5432 (a scope such as %eth0 is dropped)
    [GeneratedRegex(@"(?<=^|\s)\[?(?<address>[0-9a-fA-F.:]+?)(%\S+)?\]?:(?<port>\d+)(?=\s|$)")]
    private static partial Regex Endpoint();

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex ProcessId();
}
