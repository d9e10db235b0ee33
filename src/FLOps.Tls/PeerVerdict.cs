namespace FLOps.Tls;

/// <summary>Whether a peer's certificate is trusted, and why in one line (for a log or an error message).</summary>
public sealed record PeerVerdict(bool Trusted, string Reason);
