namespace FLOps.Cli.Tests.Docs;

/// <summary>
/// One simple command of a shell block, its words as bash would hand them to the program (variables
/// already replaced by their sample values), and the variables set in front of it.
/// </summary>
internal sealed record ShellCommand(string File, int Line, string[] Words, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Where it is and what it says, for a failure message.</summary>
    public string Where => $"{File}:{Line}: {string.Join(' ', Words)}";

    /// <summary>
    /// The words once the wrappers a command may run under are taken off (<c>ip netns exec NS</c>,
    /// <c>infra/arm64/run.sh</c>, <c>sudo</c>, <c>nice -n N</c>, <c>timeout N</c>): the program first.
    /// </summary>
    public string[] Program
    {
        get
        {
            var words = Words;
            while (true)
            {
                switch (words)
                {
                    case ["sudo", .. var rest]:
                        words = rest;
                        break;
                    case ["nice", "-n", _, .. var rest]:
                        words = rest;
                        break;
                    case ["timeout", _, .. var rest]:
                        words = rest;
                        break;
                    case ["ip", "netns", "exec", _, .. var rest]:
                        words = rest;
                        break;
                    case [var runner, .. var rest] when runner.EndsWith("arm64/run.sh", StringComparison.Ordinal):
                        words = rest;
                        break;
                    default:
                        return words;
                }
            }
        }
    }

    /// <summary>
    /// The arguments <c>flops</c> gets when this command runs it: as the installed tool, a published
    /// binary (<c>…/flops</c>), the built assembly (<c>dotnet …/flops.dll</c>) or <c>dotnet run
    /// --project src/FLOps.Cli … --</c>; null for any other program.
    /// </summary>
    public string[]? FlopsArguments => Program switch
    {
        [var flops, .. var rest] when flops == "flops" || flops.EndsWith("/flops", StringComparison.Ordinal) => rest,
        ["dotnet", var dll, .. var rest] when dll.EndsWith("flops.dll", StringComparison.Ordinal) => rest,
        ["dotnet", "run", .. var rest] when rest.Contains("src/FLOps.Cli") && rest.Contains("--") => rest[(Array.IndexOf(rest, "--") + 1)..],
        _ => null,
    };
}
