using System.Security.Cryptography;
using System.Text.Json;
using FLOps.Abstractions.Projects;

namespace FLOps.Client;

/// <summary>Identifies a spec by content, so that an idempotency key can tell a retry from another submission.</summary>
internal static class SpecFingerprint
{
    public static string Of(ProjectSpec spec) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec)));
}
