using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>A service manager stops the long-running verbs with SIGTERM; they must stop cleanly, not be killed.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Serve_stops_on_SIGTERM_with_exit_code_0()
    {
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        await using var serve = await CommandProcess.StartAsync(
            ["serve", "--urls", url], "flops serve: listening", environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = "shutdown-test" });
        using (var http = new HttpClient())
        {
            Assert.True((await http.GetAsync(new Uri($"{url}/healthz"))).IsSuccessStatusCode, serve.Log);
        }

        var exitCode = await serve.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{serve.Log}");
        Assert.DoesNotContain("Unhandled exception", serve.Log, StringComparison.Ordinal);
    }
}
