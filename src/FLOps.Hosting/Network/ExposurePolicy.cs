using System.Net;

namespace FLOps.Hosting.Network;

/// <summary>
/// Secure by default: a silo or gateway that can be reached from another machine carries its
/// traffic over TLS, unless the operator said <c>--insecure</c>. Cluster messages carry models,
/// updates and tenants' project specs; gateway requests carry API keys and device tokens.
/// </summary>
public static class ExposurePolicy
{
    /// <summary>Why a silo must not start as asked, or null when it may.</summary>
    public static string? RefusalForSilo(SiloNetwork network, bool insecure)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!network.IsExposed || network.Tls is not null || insecure)
        {
            return null;
        }

        var where = network.ListenOnAnyInterface ? "--listen-any listens on every interface" : $"--advertise {network.Advertise} is not a loopback address";
        return $"{where}, and cluster traffic would be plaintext: give --tls-cert, --tls-key and --tls-ca (flops certs create makes them), or --insecure to accept plaintext";
    }

    /// <summary>Why a gateway must not serve these URLs, or null when it may.</summary>
    public static string? RefusalForUrls(IEnumerable<Uri> urls, bool hasTls, bool insecure)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls)
        {
            if (url.Scheme == Uri.UriSchemeHttps)
            {
                if (!hasTls)
                {
                    return $"--urls {url}: an https URL needs the gateway's certificate: give --tls-cert and --tls-key (and --tls-ca)";
                }
            }
            else if (!IsLoopbackHost(url.Host) && !insecure)
            {
                return $"--urls {url}: a plain http URL off loopback would carry API keys and device tokens in plaintext: use an https URL with --tls-cert, or give --insecure to accept plaintext";
            }
        }

        return null;
    }

    /// <summary>Loopback names and addresses; a wildcard (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>) is every interface.</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
