using System.Text;
using System.Text.RegularExpressions;

namespace FLOps.Cli.Tests.Docs;

/// <summary>
/// Reads the shell blocks of a markdown file into simple commands, as far as bash would split them:
/// quotes, backslashes, continuation lines, comments, <c>;</c> <c>&amp;&amp;</c> <c>|</c> <c>&amp;</c>,
/// redirections and here-documents, <c>export</c> and assignments, <c>$VAR</c> and <c>${VAR:-default}</c>.
/// The docs' own placeholders are read as a user fills them in: <c>[--json]</c> is the option given,
/// <c>ID</c>, <c>&lt;id&gt;</c> and <c>...</c> are values, and a variable set outside the block takes a
/// sample value of the kind its producer prints.
/// </summary>
internal static partial class ShellBlocks
{
    /// <summary>What a command substitution stands for: its output is not known here.</summary>
    public const string CommandOutput = "command-output";

    /// <summary>Variables the docs use without setting them in the block, with a value of their kind.</summary>
    public static readonly IReadOnlyDictionary<string, string> Samples = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CONN"] = FLOps.Storage.PostgresDatabase.Example,   // what infra/postgres/up.sh prints last
        ["PROM"] = "http://127.0.0.1:9090",                   // what infra/prometheus/up.sh prints last
        ["HOST"] = "198.18.0.10",                             // the host a per-host line runs on
        ["FLOPS_GATEWAY"] = "http://127.0.0.1:5080",
        ["n"] = "100",                                        // a for loop's variable
    };

    private static readonly string[] ShellLanguages = ["bash", "sh", "shell"];

    /// <summary>Every command of every markdown file of the clone.</summary>
    public static IReadOnlyList<ShellCommand> OfTheDocs { get; } =
        [.. Repository.MarkdownFiles().SelectMany(f => In(Path.GetRelativePath(Repository.Root, f), File.ReadAllText(f)))];

    public static IEnumerable<ShellCommand> In(string file, string markdown) =>
        CodeBlock.In(file, markdown).Where(b => ShellLanguages.Contains(b.Language)).SelectMany(Commands);

    private static IEnumerable<ShellCommand> Commands(CodeBlock block)
    {
        var variables = new Dictionary<string, string>(Samples, StringComparer.Ordinal);
        var lines = block.Code.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var first = i;
            var text = lines[i];
            while (text.EndsWith('\\') && i + 1 < lines.Length)
            {
                text = text[..^1] + " " + lines[++i];
            }

            string? hereDocument = null;
            foreach (var words in Split(text, variables, block.File, block.FirstLine + first))
            {
                var command = Simple(words, variables, ref hereDocument);
                if (command is not null)
                {
                    yield return command with { File = block.File, Line = block.FirstLine + first };
                }
            }

            // A here-document's lines are data, not commands.
            while (hereDocument is not null && i + 1 < lines.Length && lines[++i].Trim() != hereDocument)
            {
            }
        }
    }

    /// <summary>Takes off redirections, keywords and assignments; records assignments that stand alone.</summary>
    private static ShellCommand? Simple(List<Word> words, Dictionary<string, string> variables, ref string? hereDocument)
    {
        var kept = new List<string>();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            var (text, quoted) = words[i];
            if (text.StartsWith("<<", StringComparison.Ordinal))
            {
                hereDocument = text[2..].TrimStart('-').Trim('\'', '"');
            }
            else if (!quoted && text is ">" or ">>" or "<" or "2>" or "2>>")
            {
                i++;
            }
            else if (!quoted && (text.StartsWith('>') || text.StartsWith("2>", StringComparison.Ordinal)))
            {
            }
            else if (kept.Count == 0 && text is "do" or "then" or "export")
            {
            }
            else if (kept.Count == 0 && Assignment().Match(text) is { Success: true } assignment)
            {
                environment[assignment.Groups["name"].Value] = assignment.Groups["value"].Value;
            }
            else
            {
                kept.Add(text);
            }
        }

        if (kept.Count == 0)
        {
            foreach (var (name, value) in environment.Where(v => !v.Value.Contains(CommandOutput, StringComparison.Ordinal)))
            {
                variables[name] = value;
            }

            return null;
        }

        return kept[0] is "for" or "done" or "fi" ? null : new ShellCommand("", 0, [.. kept], environment);
    }

    /// <summary>Splits one logical line into simple commands of words, expanding variables.</summary>
    private static List<List<Word>> Split(string line, IReadOnlyDictionary<string, string> variables, string file, int lineNumber)
    {
        var commands = new List<List<Word>> { new() };
        StringBuilder? word = null;
        var quoted = false;

        void Append(string text)
        {
            word ??= new StringBuilder();
            word.Append(text);
        }

        void Finish()
        {
            if (word is not null)
            {
                var text = word.ToString();
                // [--json] and [--out DIR] are options a user may give: read as given.
                commands[^1].Add(new Word(quoted ? text : text.TrimStart('[').TrimEnd(']'), quoted));
            }

            word = null;
            quoted = false;
        }

        void Expanded(string value, bool inQuotes)
        {
            var fields = inQuotes ? [value] : value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var f = 0; f < fields.Length; f++)
            {
                if (f > 0)
                {
                    Finish();
                }

                Append(fields[f]);
            }
        }

        string Lookup(string name, string? fallback) =>
            variables.TryGetValue(name, out var value) ? value
            : fallback ?? throw new InvalidOperationException($"{file}:{lineNumber}: ${name} has no value: set it in the block or give it a sample in {nameof(ShellBlocks)}.{nameof(Samples)}");

        int Expand(int p, bool inQuotes)
        {
            var rest = line.AsSpan(p + 1);
            if (rest.StartsWith("("))
            {
                var depth = 0;
                var end = p + 1;
                for (; end < line.Length; end++)
                {
                    depth += line[end] switch { '(' => 1, ')' => -1, _ => 0 };
                    if (depth == 0)
                    {
                        break;
                    }
                }

                Expanded(CommandOutput, inQuotes);
                return end + 1;
            }

            var braced = Braced().Match(line, p);
            if (braced.Success)
            {
                Expanded(Lookup(braced.Groups["name"].Value, braced.Groups["default"].Success ? braced.Groups["default"].Value : null), inQuotes);
                return p + braced.Length;
            }

            var plain = Plain().Match(line, p);
            if (plain.Success)
            {
                Expanded(Lookup(plain.Groups["name"].Value, null), inQuotes);
                return p + plain.Length;
            }

            Append("$");
            return p + 1;
        }

        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t':
                    Finish();
                    i++;
                    break;
                case '#' when word is null:
                    i = line.Length;
                    break;
                case '&' when word is not null && word.ToString().EndsWith('>'):
                    Append("&");
                    i++;
                    break;
                case ';' or '|' or '&':
                    Finish();
                    commands.Add([]);
                    i += i + 1 < line.Length && line[i + 1] == c ? 2 : 1;
                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    quoted = true;
                    Append(line[(i + 1)..close]);
                    i = close + 1;
                    break;
                case '"':
                    quoted = true;
                    Append("");
                    i++;
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\' && "\"$`\\".Contains(line[i + 1], StringComparison.Ordinal))
                        {
                            Append(line[i + 1].ToString());
                            i += 2;
                        }
                        else if (line[i] == '$')
                        {
                            i = Expand(i, inQuotes: true);
                        }
                        else
                        {
                            Append(line[i++].ToString());
                        }
                    }

                    i++;
                    break;
                case '\\' when i + 1 < line.Length:
                    Append(line[i + 1].ToString());
                    i += 2;
                    break;
                case '$':
                    i = Expand(i, inQuotes: false);
                    break;
                default:
                    Append(c.ToString());
                    i++;
                    break;
            }
        }

        Finish();
        return commands.Where(command => command.Count > 0).ToList();
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>.*)$", RegexOptions.Singleline)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"\G\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}")]
    private static partial Regex Braced();

    [GeneratedRegex(@"\G\$(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Plain();

    private readonly record struct Word(string Text, bool Quoted);
}
