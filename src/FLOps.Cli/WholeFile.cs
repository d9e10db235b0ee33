namespace FLOps.Cli;

/// <summary>Writes a file whole or not at all: into <c>FILE.part</c> beside it, then renamed over <c>FILE</c>, so a reader never sees half of it.</summary>
public static class WholeFile
{
    /// <exception cref="IOException">The file cannot be written (also <see cref="UnauthorizedAccessException"/>); <c>FILE.part</c> is gone again.</exception>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var partial = path + ".part";
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await write(file, cancellationToken);
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }
}
