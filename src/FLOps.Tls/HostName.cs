using System.Net;
using System.Net.Sockets;

namespace FLOps.Tls;

/// <summary>
/// A host a certificate is made for, as an operator typed it: an IP address or a DNS name. It
/// also names the host's files (<c>HOST.crt</c>), so nothing that could climb out of the
/// directory gets through.
/// </summary>
internal sealed record HostName(string Text, IPAddress? Address)
{
    private const int MaxNameLength = 253;
    private const int MaxLabelLength = 63;

    public static HostName Parse(string host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            throw new ArgumentException("a host cannot be empty");
        }

        if (host.Contains('/', StringComparison.Ordinal) || host.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"host '{host}' holds a path separator; give a host name or IP address");
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            // A scope (fe80::1%eth0) means something only on one machine.
            return IPAddress.TryParse(host, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && !host.Contains('%', StringComparison.Ordinal)
                ? new HostName(host, v6)
                : throw new ArgumentException($"host '{host}' is not an IPv6 address");
        }

        // IPAddress.TryParse also takes "10" or "10.1" as IPv4; only the usual dotted four count.
        if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.ToString() == host
                ? new HostName(host, v4)
                : throw new ArgumentException($"host '{host}' is not an IPv4 address (four numbers 0-255 separated by dots)");
        }

        return IsDnsName(host)
            ? new HostName(host, null)
            : throw new ArgumentException($"host '{host}' is not a DNS name (letters, digits and '-' in dot-separated labels of at most {MaxLabelLength})");
    }

    private static bool IsDnsName(string host) =>
        host.Length <= MaxNameLength
        && host.Split('.').All(label =>
            label.Length is > 0 and <= MaxLabelLength
            && label[0] != '-'
            && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
