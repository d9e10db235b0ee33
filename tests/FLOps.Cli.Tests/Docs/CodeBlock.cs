using System.Text.RegularExpressions;

namespace FLOps.Cli.Tests.Docs;

/// <summary>A fenced code block of a markdown file: its language, the line its code starts at, and the code.</summary>
internal sealed partial record CodeBlock(string File, string Language, int FirstLine, string Code)
{
    public static IEnumerable<CodeBlock> In(string file, string markdown) =>
        Fence().Matches(markdown).Select(m => new CodeBlock(
            file, m.Groups["language"].Value, markdown.AsSpan(0, m.Groups["code"].Index).Count('\n') + 1, m.Groups["code"].Value));

    [GeneratedRegex(@"^```(?<language>[a-z]*)\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Fence();
}
