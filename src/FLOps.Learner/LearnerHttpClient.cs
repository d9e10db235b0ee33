using System.Net;
using FLOps.Tls;

namespace FLOps.Learner;

/// <summary>The HTTP client a learner agent talks to its gateway with, set up for a peer it does not trust.</summary>
public static class LearnerHttpClient
{
    /// <param name="authorityPath">
    /// A PEM file of the private CA that signed an <c>https://</c> gateway's certificate: the
    /// client then trusts that CA only, and still checks the gateway's name. Without it, the
    /// machine's trust store.
    /// </param>
    /// <exception cref="TlsConfigurationException">The CA file is missing or wrong; the message names it.</exception>
    public static SocketsHttpHandler CreateHandler(string? authorityPath = null)
    {
        var handler = CreateLimitedHandler();
        return authorityPath is null ? handler : PrivateAuthority.TrustOnly(handler, authorityPath);
    }

    /// <summary>
    /// A client without an overall timeout: <see cref="LearnerAgent"/> bounds every exchange itself
    /// (<see cref="LearnerOptions.RequestTimeout"/>, plus the long poll's wait), body included, which
    /// <see cref="HttpClient.Timeout"/> would not do for a body read as a stream.
    /// </summary>
    public static HttpClient Create(HttpMessageHandler? handler = null) =>
        new(handler ?? CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>A client (as <see cref="Create(HttpMessageHandler?)"/>) that trusts the private CA in <paramref name="authorityPath"/>, if given.</summary>
    /// <exception cref="TlsConfigurationException">The CA file is missing or wrong; the message names it.</exception>
    public static HttpClient Create(string? authorityPath) => Create(CreateHandler(authorityPath));

    private static SocketsHttpHandler CreateLimitedHandler() => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),

        // A compressed body could expand far past the bounds the agent checks on the bytes it reads.
        AutomaticDecompression = DecompressionMethods.None,

        // A redirect would carry the device token, a custom header, to wherever the gateway points.
        AllowAutoRedirect = false,

        // In KiB: headers are a few hundred bytes; the default (64 KiB) is needlessly generous.
        MaxResponseHeadersLength = 16,

        // An answer the agent stops reading (an endless model) closes its connection instead of
        // being drained in the background to reuse it.
        MaxResponseDrainSize = 0,

        // Follows a gateway whose address changes behind its name.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}
