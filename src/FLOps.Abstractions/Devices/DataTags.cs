namespace FLOps.Abstractions.Devices;

/// <summary>What a data tag may be: it names data, keys directories and appears in URLs and logs.</summary>
public static class DataTags
{
    public const string Rule = "letters, digits, '-', '_', '.' or ':'";

    public static bool IsValid(string? tag, int maxLength) =>
        !string.IsNullOrEmpty(tag) && tag.Length <= maxLength && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
