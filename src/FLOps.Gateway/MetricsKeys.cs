namespace FLOps.Gateway;

/// <summary>
/// The operator's keys for <c>/metrics</c> on the API's port, from <c>FLOPS_METRICS_KEYS</c>
/// (comma-separated). They are not tenant API keys: the exposition lists every tenant's projects,
/// so a tenant's key must not read it, and a key may not be both. With none configured, <c>/metrics</c>
/// on the API's port refuses everyone, and the operator scrapes the <c>--metrics-port</c> listener.
/// Presented keys are compared by their SHA-256, as <see cref="ApiKeys"/> does.
/// </summary>
public sealed class MetricsKeys
{
    public const string Variable = "FLOPS_METRICS_KEYS";

    private readonly HashSet<string> _hashes;

    private MetricsKeys(HashSet<string> hashes) => _hashes = hashes;

    /// <exception cref="FormatException">A configured metrics key is also an API key of <paramref name="apiKeys"/>.</exception>
    public static MetricsKeys Parse(string? configured, ApiKeys apiKeys)
    {
        ArgumentNullException.ThrowIfNull(apiKeys);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in (configured ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (apiKeys.TenantOf(key) is not null)
            {
                throw new FormatException($"{Variable} holds a key that is also in FLOPS_API_KEYS: a metrics key must be the operator's alone, since /metrics lists every tenant's projects");
            }

            hashes.Add(ApiKeys.Hash(key));
        }

        return new MetricsKeys(hashes);
    }

    public bool Accepts(string presentedKey) => _hashes.Contains(ApiKeys.Hash(presentedKey));
}
