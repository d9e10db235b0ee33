using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FLOps.Cli.Tests.Docs;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19, item 4: the commands of the README and the other docs are the commands that work. Every
/// <c>flops …</c> line of a shell block is parsed by the command line users run; the cheap ones
/// whose output the text describes are run, and their output held to what the text says.
/// </summary>
public sealed partial class ReadmeCommandsTests : IDisposable
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));

    /// <summary>The README's prose with line breaks as spaces, so that a claim can be found across lines.</summary>
    private static readonly string ReadmeProse = Whitespace().Replace(Readme, " ");

    private readonly string _directory = Directory.CreateTempSubdirectory("flops-readme-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_flops_command_of_the_docs_parses_with_no_error_by_the_real_command_line()
    {
        var flops = ShellBlocks.OfTheDocs.Where(c => c.FlopsArguments is not null).ToList();

        var failures = flops
            .Select(c => (Command: c, Parse: FlopsCommandLine.CreateRoot().Parse(c.FlopsArguments!)))
            .Where(p => p.Parse.Errors.Count > 0)
            .Select(p => $"{p.Command.Where}\n    {string.Join("; ", p.Parse.Errors.Select(e => e.Message))}")
            .ToList();

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(flops.Count >= 50, $"only {flops.Count} flops commands found in the docs: is the block reader broken?");
        Assert.Contains(flops, c => c.Program[0] == "dotnet");
        Assert.Contains(flops, c => c.File == "README.md" && c.FlopsArguments is ["submit", ..]);
        Assert.Contains(flops, c => c.FlopsArguments is ["silo", ..] && c.FlopsArguments.Contains("certs/198.18.0.10.crt"));   // $TLS, set in its block from $HOST
    }

    [Fact]
    public void Every_path_of_the_clone_a_command_names_exists_and_every_script_it_runs_is_executable()
    {
        var missing = new List<string>();
        foreach (var command in ShellBlocks.OfTheDocs)
        {
            foreach (var word in command.Words.Where(IsClonePath).Select(w => w.TrimEnd('/')))
            {
                if (!File.Exists(Path.Combine(Repository.Root, word)) && !Directory.Exists(Path.Combine(Repository.Root, word)))
                {
                    missing.Add($"{command.Where}\n    {word} is not in the clone");
                }
            }

            if (IsClonePath(command.Program[0]) && File.Exists(Path.Combine(Repository.Root, command.Program[0]))
                && !OperatingSystem.IsWindows() && !File.GetUnixFileMode(Path.Combine(Repository.Root, command.Program[0])).HasFlag(UnixFileMode.UserExecute))
            {
                missing.Add($"{command.Where}\n    {command.Program[0]} is not executable");
            }
        }

        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public async Task Demo_help_as_the_readme_gives_it_prints_the_usage_and_exits_0()
    {
        var help = Assert.Single(ReadmeFlops(), a => a is ["demo", "--help"]);

        var run = await FlopsProcess.RunAsync(help);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("flops demo [options]", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_argument_exits_2_with_exactly_the_one_line_the_readme_shows()
    {
        var claim = DevicesRefusal().Match(ReadmeProse);
        Assert.True(claim.Success, "the README no longer shows the line a bad --devices gets");
        Assert.Contains("Bad arguments exit with code 2 and one line naming the option", ReadmeProse, StringComparison.Ordinal);

        var run = await FlopsProcess.RunAsync("demo", "--devices", claim.Groups["value"].Value);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(claim.Groups["line"].Value, Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Data_export_to_csv_as_the_readme_gives_it_writes_the_header_and_rows_the_readme_describes()
    {
        var export = ReadmeFlops().First(a => a is ["data", "export", ..] && a[^1].EndsWith(".csv", StringComparison.Ordinal));
        Assert.Contains("a header `label,x0,…,x783`, then a row a digit, the label and the 784 pixels scaled to 0..1", ReadmeProse, StringComparison.Ordinal);

        var run = await FlopsProcess.RunProgramAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "flops.dll"), .. export], new Dictionary<string, string>(), _directory, TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = await File.ReadAllLinesAsync(Path.Combine(_directory, export[^1]));
        Assert.Equal(string.Join(',', ["label", .. Enumerable.Range(0, 784).Select(i => $"x{i}")]), lines[0]);
        Assert.NotEmpty(lines[1..]);
        Assert.All(lines[1..], row =>
        {
            var fields = row.Split(',');
            Assert.Equal(785, fields.Length);
            Assert.InRange(int.Parse(fields[0], CultureInfo.InvariantCulture), 0, 9);
            Assert.All(fields[1..], pixel => Assert.InRange(double.Parse(pixel, CultureInfo.InvariantCulture), 0.0, 1.0));
        });
    }

    [Fact]
    public async Task A_one_round_demo_with_json_prints_every_field_the_readme_names_and_writes_the_files_it_names()
    {
        var fields = JsonFields().Match(ReadmeProse);
        Assert.True(fields.Success, "the README no longer lists the demo's JSON fields");
        var files = DemoFiles().Match(ReadmeProse);
        Assert.True(files.Success, "the README no longer lists the files the demo writes");

        var run = await FlopsProcess.RunAsync("demo", "--rounds", "1", "--devices", "2", "--json", "--out", _directory);

        Assert.True(run.ExitCode == 0, run.StandardError);
        var result = JsonDocument.Parse(run.OutputLines[^1]).RootElement;
        Assert.All(Names(fields.Groups["names"].Value), name => Assert.True(result.TryGetProperty(name, out _), $"the JSON line has no '{name}': {run.OutputLines[^1]}"));
        var written = Path.GetDirectoryName(result.GetProperty("model").GetString())!;
        Assert.All(Names(files.Groups["names"].Value), file => Assert.True(File.Exists(Path.Combine(written, file)), $"the demo wrote no {file} in {written}"));
    }

    private static IEnumerable<string[]> ReadmeFlops() =>
        ShellBlocks.OfTheDocs.Where(c => c.File == "README.md" && c.FlopsArguments is not null).Select(c => c.FlopsArguments!);

    /// <summary>A word that names a file or folder of the clone (not one a command makes, such as artifacts/).</summary>
    private static bool IsClonePath(string word) =>
        !word.Contains('*', StringComparison.Ordinal) && ClonePath().IsMatch(word);

    private static IEnumerable<string> Names(string list) => BacktickedName().Matches(list).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(src|tests|infra|docs|dashboards)/")]
    private static partial Regex ClonePath();

    [GeneratedRegex(@"`(?<name>[A-Za-z.]+)`")]
    private static partial Regex BacktickedName();

    [GeneratedRegex(@"`(?<line>flops: --devices: [^`]*\(got (?<value>[^)]*)\))`")]
    private static partial Regex DevicesRefusal();

    [GeneratedRegex(@"`--json` makes the last line of stdout one JSON object \((?<names>[^)]*)\)")]
    private static partial Regex JsonFields();

    [GeneratedRegex(@"writes (?<names>`model\.onnx`[^()]*?) to `--out`")]
    private static partial Regex DemoFiles();
}
