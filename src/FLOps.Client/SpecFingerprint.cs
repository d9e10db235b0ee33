using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using FLOps.Abstractions.Projects;

namespace FLOps.Client;

/// <summary>Identifies a spec by content, so that an idempotency key can tell a retry from another submission.</summary>
internal static class SpecFingerprint
{
    /// <summary>
    /// Non-finite numbers are written by name: the fingerprint is taken before the spec is validated,
    /// and a spec with a learning rate of 1e400 (read as infinity) must get the validator's refusal,
    /// not an exception from the serializer. Finite numbers are written as before, so stored fingerprints still match.
    /// </summary>
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Of(ProjectSpec spec) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec, Options)));
}
