namespace FLOps.Hosting.Logging;

/// <summary>
/// Lets the first connection failure of an outage through, then keeps the others quiet for
/// <see cref="Quiet"/>: a peer that is down is one line, not one per retry, probe and gossip.
/// </summary>
public sealed class PeerFailureGate(TimeProvider time)
{
    /// <summary>How long after a reported connection failure further ones are not shown.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private long? _lastShown;

    /// <summary>True when this failure is to be shown (the first for <see cref="Quiet"/>).</summary>
    public bool ShouldShow()
    {
        lock (_lock)
        {
            if (_lastShown is { } last && time.GetElapsedTime(last) < Quiet)
            {
                return false;
            }

            _lastShown = time.GetTimestamp();
            return true;
        }
    }
}
