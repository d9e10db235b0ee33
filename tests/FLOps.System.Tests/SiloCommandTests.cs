using System.Diagnostics;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SiloCommandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_unreachable_database_ends_the_silo_with_one_line_naming_host_and_database()
    {
        var (exitCode, stderr) = await RunSilo("Host=127.0.0.1;Port=1;Database=flops;Username=flops;Password=flops");

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr);
        Assert.Contains("127.0.0.1:1", line);
        Assert.Contains("'flops'", line);
    }

    [Fact]
    public async Task A_database_without_the_schema_says_to_run_up_sh()
    {
        var withoutSchema = postgres.ConnectionString.Replace("Database=flops", "Database=postgres", StringComparison.Ordinal);

        var (exitCode, stderr) = await RunSilo(withoutSchema);

        Assert.Equal(1, exitCode);
        Assert.Contains("run infra/postgres/up.sh", Assert.Single(stderr));
    }

    [Fact]
    public async Task A_silo_with_a_metrics_port_serves_its_role_and_orleans_metrics_to_prometheus()
    {
        var metricsPort = CommandProcess.FreePort();
        var clusterId = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var siloPort = CommandProcess.FreePort();
        var gatewayPort = CommandProcess.FreePort();
        await using var silo = await CommandProcess.StartAsync(
            ["silo", "--postgres", postgres.ConnectionString, "--silo-port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString(),
             "--cluster-id", clusterId, "--service-id", clusterId, "--metrics-port", metricsPort.ToString()],
            "flops silo ready",
            siloPort,
            gatewayPort);
        using var http = new HttpClient();

        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

        Assert.Matches("(?m)^flops_silo_info\\{[^}]*cluster=\"cloud\"[^}]*role=\"cloud\"[^}]*\\} 1$", metrics);
        Assert.Matches("(?m)^flops_projects\\{[^}]*state=\"Running\"[^}]*\\} 0$", metrics);
        Assert.Contains("orleans_", metrics, StringComparison.Ordinal);
        Assert.Contains("service_name=\"flops-silo\"", metrics, StringComparison.Ordinal);
        Assert.Contains($"metrics http://127.0.0.1:{metricsPort}/metrics", silo.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connection_string_is_a_usage_error()
    {
        var (exitCode, stderr) = await RunSilo("Hots=nowhere");

        Assert.Equal(2, exitCode);
        Assert.Contains("--postgres", Assert.Single(stderr));
    }

    private static async Task<(int ExitCode, string[] Stderr)> RunSilo(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "flops.dll"), "silo", "--postgres", connectionString, "--silo-port", "0", "--gateway-port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
