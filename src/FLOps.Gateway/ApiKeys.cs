using System.Security.Cryptography;
using System.Text;

namespace FLOps.Gateway;

/// <summary>
/// The API keys the gateway accepts, each with its tenant. <c>FLOPS_API_KEYS</c> holds a
/// comma-separated list of <c>key</c> or <c>tenant:key</c>; a bare key's tenant is derived from
/// the key, so two keys are two tenants unless they name the same one.
/// </summary>
public sealed class ApiKeys
{
    private readonly Dictionary<string, string> _tenantByKeyHash;

    private ApiKeys(Dictionary<string, string> tenantByKeyHash, string? generatedKey)
    {
        _tenantByKeyHash = tenantByKeyHash;
        GeneratedKey = generatedKey;
    }

    /// <summary>The key made up because none was configured; printed once at start-up.</summary>
    public string? GeneratedKey { get; }

    public static ApiKeys Parse(string? configured)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in (configured ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = entry.IndexOf(':', StringComparison.Ordinal);
            var (tenant, key) = separator > 0 ? (entry[..separator], entry[(separator + 1)..]) : (null, entry);
            if (key.Length == 0)
            {
                throw new FormatException($"FLOPS_API_KEYS has an entry without a key: '{entry}'");
            }

            keys[Hash(key)] = tenant ?? "tenant-" + Hash(key)[..12];
        }

        if (keys.Count > 0)
        {
            return new ApiKeys(keys, generatedKey: null);
        }

        var generated = "flops_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return new ApiKeys(new Dictionary<string, string>(StringComparer.Ordinal) { [Hash(generated)] = "default" }, generated);
    }

    /// <summary>The tenant of a presented key, compared by hash so that timing says nothing about the keys.</summary>
    public string? TenantOf(string presentedKey) => _tenantByKeyHash.GetValueOrDefault(Hash(presentedKey));

    internal static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
