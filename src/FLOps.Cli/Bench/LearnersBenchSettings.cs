namespace FLOps.Cli.Bench;

/// <summary>The options of <c>flops bench learners</c>; <see cref="Gateway"/> null means a gateway started in this process.</summary>
public sealed record LearnersBenchSettings(
    int Count,
    int Rounds,
    string? Gateway,
    string? ApiKey,
    int WaitSeconds = 20,
    int Connections = 0,
    int RegisterConcurrency = 64,
    int RoundTimeoutSeconds = 300)
{
    /// <summary>The largest count: the tenant's default device limit.</summary>
    public const int MaxCount = 100_000;

    /// <summary>Throws a <see cref="UsageException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Require(Count is >= 1 and <= MaxCount, $"--count: must be between 1 and {MaxCount} (got {Count})");
        Require(Rounds is >= 1 and <= 1000, $"--rounds: must be between 1 and 1000 (got {Rounds})");
        Require(WaitSeconds is >= 1 and <= 30, $"--wait: must be between 1 and 30 (got {WaitSeconds})");
        Require(Connections >= 0, $"--connections: must be positive (got {Connections})");
        Require(RegisterConcurrency is >= 1 and <= 10_000, $"--register-concurrency: must be between 1 and 10000 (got {RegisterConcurrency})");
        Require(RoundTimeoutSeconds is >= 1 and <= 86_400, $"--round-timeout: must be between 1 and 86400 (got {RoundTimeoutSeconds})");
        if (Gateway is not null)
        {
            Require(Uri.TryCreate(Gateway, UriKind.Absolute, out var url) && url.Scheme is "http" or "https", $"--gateway: '{Gateway}' is not an http(s) URL");
            Require(!string.IsNullOrWhiteSpace(ApiKey), "--api-key (or FLOPS_API_KEY) is required with --gateway");
        }
    }

    private static void Require(bool condition, string reason)
    {
        if (!condition)
        {
            throw new UsageException(reason);
        }
    }
}
