using System.Text.RegularExpressions;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19, item 6: the docs point only at what a clone has. A relative link of any markdown file
/// resolves to a file or folder, and so does every path of the clone the README and docs/ name in
/// backticks (<c>src/…</c>, <c>tests/…</c>, <c>infra/…</c>, <c>docs/…</c>, <c>dashboards/…</c>).
/// </summary>
public sealed partial class DocumentLinksTests
{
    [Fact]
    public void Every_relative_link_of_the_docs_resolves_to_a_file_or_folder_of_the_clone()
    {
        var broken = (
            from file in Repository.MarkdownFiles()
            from link in Link().Matches(File.ReadAllText(file)).Select(m => m.Groups["target"].Value)
            where !External().IsMatch(link)
            let target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, link.Split('#')[0]))
            where !Exists(target) || !target.StartsWith(Repository.Root, StringComparison.Ordinal)
            select $"{Path.GetRelativePath(Repository.Root, file)}: ({link})").ToList();

        Assert.True(broken.Count == 0, "links to nothing in a clone:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void Every_path_of_the_clone_the_readme_and_docs_name_exists()
    {
        // Other markdown files also name paths inside packages (MNIST-PROVENANCE.md: src/digits/0.json).
        var files = Repository.MarkdownFiles().Where(f => Path.GetRelativePath(Repository.Root, f) is "README.md" || Path.GetRelativePath(Repository.Root, f).StartsWith("docs", StringComparison.Ordinal));

        var missing = (
            from file in files
            from path in ClonePath().Matches(File.ReadAllText(file)).Select(m => m.Groups["path"].Value)
            where !Exists(Path.Combine(Repository.Root, path.Split('*')[0]))
            select $"{Path.GetRelativePath(Repository.Root, file)}: `{path}`").Distinct().ToList();

        Assert.True(missing.Count == 0, "paths that are not in the clone:\n" + string.Join('\n', missing));
        Assert.Contains(files, f => f.EndsWith("README.md", StringComparison.Ordinal));
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex("^(https?:|mailto:|#)")]
    private static partial Regex External();

    [GeneratedRegex("`(?<path>(src|tests|infra|docs|dashboards)/[^` ]*)`")]
    private static partial Regex ClonePath();
}
