using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FLOps.Cli.Tests;

/// <summary>
/// One <c>flops serve</c> (in memory) for a test class, started as an operator would, with the API
/// key <see cref="ApiKey"/> for tenant <c>a</c> and <see cref="OtherApiKey"/> for tenant <c>b</c>.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime, IDisposable
{
    public const string ApiKey = "cli-key-a";
    public const string OtherApiKey = "cli-key-b";

    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _serve;

    public string Url { get; } = $"http://127.0.0.1:{FreePort()}";

    /// <summary><c>--gateway URL --api-key KEY</c>, for the commands under test.</summary>
    public string[] GatewayArgs(string apiKey = ApiKey) => ["--gateway", Url, "--api-key", apiKey];

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["FLOPS_API_KEYS"] = $"a:{ApiKey},b:{OtherApiKey}" },
        };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "flops.dll"), "serve", "--urls", Url])
        {
            start.ArgumentList.Add(arg);
        }

        _serve = new Process { StartInfo = start, EnableRaisingEvents = true };
        _serve.OutputDataReceived += (_, e) => Record(e.Data);
        _serve.ErrorDataReceived += (_, e) => Record(e.Data);
        _serve.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"flops serve exited before it listened:\n{Output}"));
        _serve.Start();
        _serve.BeginOutputReadLine();
        _serve.BeginErrorReadLine();
        await _listening.Task.WaitAsync(TimeSpan.FromMinutes(3));
    }

    /// <summary>What the server printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_serve is { HasExited: false })
        {
            _serve.Kill(entireProcessTree: true);
            _serve.WaitForExit();
        }

        _serve?.Dispose();
        _serve = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("flops serve: listening", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
