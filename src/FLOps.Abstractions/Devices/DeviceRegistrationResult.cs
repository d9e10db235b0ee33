namespace FLOps.Abstractions.Devices;

/// <summary>The new device's id, or the problems (by field) that refused it, or a limit that did.</summary>
[GenerateSerializer, Immutable, Alias("flops.DeviceRegistrationResult")]
public sealed record DeviceRegistrationResult
{
    [Id(0)] public string? DeviceId { get; init; }

    [Id(1)] public IReadOnlyDictionary<string, string> Errors { get; init; } = new Dictionary<string, string>();

    /// <summary>Set when the tenant already has as many devices as it may.</summary>
    [Id(2)] public string? LimitReached { get; init; }
}
