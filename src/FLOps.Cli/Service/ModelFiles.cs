using FLOps.Protocol;
using FLOps.ServiceClient;

namespace FLOps.Cli.Service;

/// <summary>Where downloaded models go: <c>DIR/&lt;project id&gt;.onnx</c>, written whole or not at all.</summary>
public static class ModelFiles
{
    /// <summary>Creates <paramref name="directory"/> if needed and returns its full path; one that cannot be made is a <see cref="UsageException"/>.</summary>
    public static string EnsureDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            return Directory.CreateDirectory(directory).FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out: cannot use '{directory}' as a folder: {e.Message}");
        }
    }

    /// <summary>Downloads the project's model to <c>DIR/&lt;id&gt;.onnx</c> (<see cref="WholeFile"/>); returns the path.</summary>
    public static async Task<string> DownloadAsync(FlopsServiceClient client, string projectId, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(projectId);
        if (projectId.Length == 0 || projectId != Path.GetFileName(projectId) || projectId is "." or ".." || projectId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new UsageException($"'{GatewayText.OneLine(projectId)}' is not a project id that can name a file");
        }

        var path = Path.Combine(directory, projectId + ".onnx");
        try
        {
            await WholeFile.WriteAsync(path, (file, token) => client.DownloadModelAsync(projectId, file, token), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnvironmentException($"cannot write the model to {path}: {e.Message}");
        }

        return path;
    }
}
