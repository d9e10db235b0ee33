using System.Net;

namespace FLOps.Learner;

/// <summary>The HTTP client a learner agent talks to its gateway with, set up for a peer it does not trust.</summary>
public static class LearnerHttpClient
{
    public static SocketsHttpHandler CreateHandler() => new()
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

    /// <summary>
    /// A client without an overall timeout: <see cref="LearnerAgent"/> bounds every exchange itself
    /// (<see cref="LearnerOptions.RequestTimeout"/>, plus the long poll's wait), body included, which
    /// <see cref="HttpClient.Timeout"/> would not do for a body read as a stream.
    /// </summary>
    public static HttpClient Create(HttpMessageHandler? handler = null) =>
        new(handler ?? CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
}
