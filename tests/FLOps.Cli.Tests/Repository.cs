namespace FLOps.Cli.Tests;

/// <summary>The clone the tests were built from: its files are what a newcomer reads and runs.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The markdown a newcomer reads: every <c>.md</c> of the clone outside build output.</summary>
    public static IEnumerable<string> MarkdownFiles() =>
        Directory.EnumerateFiles(Root, "*.md", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Root, f).Split(Path.DirectorySeparatorChar).Any(IsBuildOutput))
            .Order(StringComparer.Ordinal);

    private static bool IsBuildOutput(string folder) => folder is "bin" or "obj" or "artifacts" or ".git" or "node_modules";

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FLOps.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("FLOps.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
