using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using FLOps.Hosting.Network;
using FLOps.Tls;

namespace FLOps.Cli.Cluster;

/// <summary>
/// How a process is reached across machines and secured: <c>--advertise</c>, <c>--listen-any</c>
/// (silos), <c>--tls-cert/--tls-key/--tls-ca</c> and <c>--insecure</c> (silos, gateways, clients).
/// </summary>
public sealed class NetworkOptions
{
    public Option<string> Advertise { get; } = new("--advertise")
    {
        Description = "Address other silos and clients reach this silo at, and where it listens",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    public Option<bool> ListenAny { get; } = new("--listen-any") { Description = "Also listen on every interface (behind NAT, in a container)" };

    public Option<string?> TlsCert { get; } = new("--tls-cert") { Description = "PEM certificate of this host, signed by the cluster CA (flops certs create)" };

    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "PEM private key of --tls-cert" };

    public Option<string?> TlsCa { get; } = new("--tls-ca") { Description = "PEM certificate of the cluster CA: the only CA whose peers are trusted" };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Allow plaintext on a non-loopback address (not for untrusted networks)" };

    /// <summary>The options of a silo (<c>flops silo</c>, <c>flops serve</c>).</summary>
    public IEnumerable<Option> ForSilo => [Advertise, ListenAny, TlsCert, TlsKey, TlsCa, Insecure];

    /// <summary>The options of a cluster's client (<c>flops gateway</c>, <c>flops demo --postgres</c>).</summary>
    public IEnumerable<Option> ForClient => [TlsCert, TlsKey, TlsCa, Insecure];

    /// <summary>The TLS files given, loaded and checked; null when none is given.</summary>
    public ClusterTls? LoadTls(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var (cert, key, ca) = (parse.GetValue(TlsCert), parse.GetValue(TlsKey), parse.GetValue(TlsCa));
        if (cert is null && key is null && ca is null)
        {
            return null;
        }

        if (cert is null || key is null || ca is null)
        {
            throw new UsageException("--tls-cert, --tls-key and --tls-ca go together: the host's certificate, its key, and the cluster CA");
        }

        try
        {
            return ClusterTls.Load(new TlsFiles(cert, key, ca));
        }
        catch (TlsConfigurationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Where a silo is reached and listens, and its TLS; refuses plaintext off loopback without <c>--insecure</c>.</summary>
    public SiloNetwork Silo(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var network = new SiloNetwork
        {
            Advertise = ParseAddress(parse.GetValue(Advertise)!),
            ListenOnAnyInterface = parse.GetValue(ListenAny),
        };
        if (ExposurePolicy.RefusalForSilo(network, parse.GetValue(Insecure)) is { } refusal && !HasTlsOptions(parse))
        {
            throw new UsageException(refusal);
        }

        return network with { Tls = LoadTls(parse) };
    }

    /// <summary>Refuses gateway URLs that would carry keys in plaintext off loopback, or https without a certificate.</summary>
    public void CheckUrls(ParseResult parse, string urls, ClusterTls? tls)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(urls);
        var parsed = new List<Uri>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcards (http://*:5080, http://+:5080) are every interface.
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--urls: '{url}' is not an http(s) URL");
            }

            parsed.Add(uri);
        }

        if (ExposurePolicy.RefusalForUrls(parsed, tls is not null, parse.GetValue(Insecure)) is { } refusal)
        {
            throw new UsageException(refusal);
        }
    }

    private bool HasTlsOptions(ParseResult parse) => parse.GetValue(TlsCert) is not null || parse.GetValue(TlsKey) is not null || parse.GetValue(TlsCa) is not null;

    /// <summary>An IP address, or a host name resolved to its first IPv4 address (what the membership table holds).</summary>
    private static IPAddress ParseAddress(string text)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                throw new UsageException($"--advertise {text}: other silos cannot reach an unspecified address; advertise this host's address and add --listen-any to listen on every interface");
            }

            return address;
        }

        try
        {
            return Dns.GetHostAddresses(text).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new UsageException($"--advertise {text}: the name has no IPv4 address");
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new UsageException($"--advertise {text}: not an IP address, and the name does not resolve ({e.Message})");
        }
    }
}
