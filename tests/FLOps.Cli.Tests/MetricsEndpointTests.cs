using System.Net;
using System.Net.Sockets;

namespace FLOps.Cli.Tests;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task The_demo_serves_prometheus_metrics_on_its_metrics_port_while_it_runs()
    {
        var port = FreePort();
        var demo = FlopsProcess.RunAsync("demo", "--devices", "4", "--rounds", "60", "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", Directory.CreateTempSubdirectory().FullName);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        string? metrics = null;
        while (!demo.IsCompleted)
        {
            try
            {
                var scraped = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                if (scraped.Contains("flops_rounds_completed_total{", StringComparison.Ordinal))
                {
                    metrics = scraped;
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException)
            {
                // Not listening yet (a connect racing the listener's start can surface as a bare SocketException).
            }

            await Task.Delay(100);
        }

        var run = await demo;
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.NotNull(metrics);
        Assert.Contains("flops_updates_received_total{", metrics, StringComparison.Ordinal);
        Assert.Matches("(?m)^flops_projects\\{[^}]*state=\"Running\"[^}]*\\} 1", metrics);
        Assert.Matches("(?m)^flops_silo_info\\{[^}]*role=\"cloud\"[^}]*\\} 1", metrics);
        Assert.Contains("orleans_", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", metrics, StringComparison.Ordinal);
        Assert.Contains("process_cpu_time_seconds_total", metrics, StringComparison.Ordinal);
        Assert.Contains("service_name=\"flops-demo\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metrics_port_already_taken_ends_the_demo_with_code_1_and_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await FlopsProcess.RunAsync("demo", "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains("--metrics-port", reason, StringComparison.Ordinal);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), reason, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
