namespace FLOps.Grains;

/// <summary>
/// A string hash that is the same in every process (unlike <see cref="string.GetHashCode()"/>),
/// for seeds that must make runs reproducible.
/// </summary>
internal static class StableHash
{
    public static int Of(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return unchecked((int)hash);
    }

    public static int Combine(int a, int b) => unchecked((a * 486187739) + b);
}
