namespace FLOps.Learner;

public sealed record LearnerOptions
{
    public required Uri Gateway { get; init; }

    public required string ApiKey { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<string> DataTags { get; init; }

    public string Cluster { get; init; } = "default";

    /// <summary>
    /// How long the gateway may hold a <c>tasks/next</c> long poll (1 to 30 s, whole seconds). An
    /// empty answer that comes in less than half of it is taken as a gateway that does not wait, and
    /// the agent pauses before it asks again.
    /// </summary>
    public TimeSpan PollWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Longest an exchange with the gateway may take, body included, on top of <see cref="PollWait"/>
    /// for a long poll. A gateway that trickles a body or never answers costs this much, then a retry.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First pause after a failure or a task the device cannot take; it doubles on each one that follows.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest pause between retries while the gateway is unreachable or hands out tasks the device cannot take.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest JSON answer (task, registration, receipt, problem) the agent reads.</summary>
    public int MaxJsonBytes { get; init; } = 64 * 1024;

    /// <summary>How many declined task ids the agent remembers, so that it never takes them again.</summary>
    public int DeclinedTaskMemory { get; init; } = 1_000;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Gateway);
        ArgumentException.ThrowIfNullOrEmpty(ApiKey);
        ArgumentNullException.ThrowIfNull(DataTags);
        if (PollWait < TimeSpan.FromSeconds(1) || PollWait > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(PollWait), PollWait, "the gateway holds a long poll for 1 to 30 s");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinBackoff, TimeSpan.Zero, nameof(MinBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, MinBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxJsonBytes, 1024, nameof(MaxJsonBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DeclinedTaskMemory, nameof(DeclinedTaskMemory));
    }
}
