using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FLOps.Cli.Tests;

public sealed class ServeCommandTests
{
    [Fact]
    public async Task A_metrics_port_that_is_also_the_api_port_exits_with_code_2_and_one_line()
    {
        var port = FreePort().ToString(CultureInfo.InvariantCulture);

        var run = await FlopsProcess.RunAsync("serve", "--urls", $"http://127.0.0.1:{port}", "--metrics-port", port);

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains("--metrics-port", reason, StringComparison.Ordinal);
        Assert.Contains(port, reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metrics_key_that_is_also_an_api_key_exits_with_code_2_and_one_line_that_does_not_show_it()
    {
        var environment = new Dictionary<string, string> { ["FLOPS_API_KEYS"] = "shared-secret", ["FLOPS_METRICS_KEYS"] = "shared-secret" };

        var run = await FlopsProcess.RunAsync(environment, "serve", "--urls", $"http://127.0.0.1:{FreePort()}");

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains("FLOPS_METRICS_KEYS", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("shared-secret", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
