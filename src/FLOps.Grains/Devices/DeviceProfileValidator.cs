using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Limits;

namespace FLOps.Grains.Devices;

/// <summary>What a registered device may say about itself, by JSON field name, under the service's limits.</summary>
public static class DeviceProfileValidator
{
    public const int MaxNameLength = 200;

    public static Dictionary<string, string> Validate(DeviceProfile profile, FlopsLimits limits)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(limits);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(profile.Name) || profile.Name.Length > MaxNameLength)
        {
            errors["name"] = $"must be 1 to {MaxNameLength} characters";
        }

        var tags = profile.DataTags;
        if (tags is null || tags.Count == 0 || tags.Count > limits.MaxDataTagsPerDevice)
        {
            errors["dataTags"] = $"must list 1 to {limits.MaxDataTagsPerDevice} tags (got {tags?.Count ?? 0})";
        }
        else if (tags.Any(tag => !DataTags.IsValid(tag, limits.MaxDataTagLength)))
        {
            var bad = tags.First(tag => !DataTags.IsValid(tag, limits.MaxDataTagLength));
            errors["dataTags"] = $"each tag must be 1 to {limits.MaxDataTagLength} {DataTags.Rule} (got '{Shorten(bad)}')";
        }

        if (!EdgeKeys.IsValidClusterName(profile.Cluster))
        {
            errors["cluster"] = "must be 1 to 100 letters, digits, '-', '_' or '.'";
        }

        if (profile.Capabilities is { } c && (c.Cores < 1 || c.MemoryBytes < 0 || c.Platform is null || c.Platform.Length > MaxNameLength))
        {
            errors["capabilities"] = $"cores must be positive, memoryBytes not negative, platform 0 to {MaxNameLength} characters";
        }

        if (profile.SampleCount < 1)
        {
            errors["sampleCount"] = $"must be positive (got {profile.SampleCount})";
        }

        return errors;
    }

    private static string? Shorten(string? text) => text is { Length: > 40 } ? text[..40] + "…" : text;
}
