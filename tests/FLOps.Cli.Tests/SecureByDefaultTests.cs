using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FLOps.Hosting.Network;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 18: a silo or gateway reachable from another machine carries its traffic over TLS, or
/// the operator says <c>--insecure</c>. The refusal comes before anything else is tried (the
/// database here does not even exist), as exit code 2 and one line naming the way out.
/// </summary>
public sealed class SecureByDefaultTests
{
    private const string NoDatabase = "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x";

    [Theory]
    [InlineData("silo", "--advertise", "198.18.0.1")]
    [InlineData("silo", "--listen-any")]
    [InlineData("serve", "--advertise", "198.18.0.1")]
    public async Task A_silo_off_loopback_without_TLS_exits_2_naming_tls_cert_and_insecure(params string[] args)
    {
        var run = await FlopsProcess.RunAsync([.. args, "--postgres", NoDatabase]);

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains("--tls-cert", reason, StringComparison.Ordinal);
        Assert.Contains("--insecure", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_serving_plain_http_off_loopback_exits_2()
    {
        var run = await FlopsProcess.RunAsync("gateway", "--urls", "http://0.0.0.0:5080", "--postgres", NoDatabase);

        Assert.Equal(2, run.ExitCode);
        var reason = Assert.Single(run.ErrorLines);
        Assert.Contains("https", reason, StringComparison.Ordinal);
        Assert.Contains("--insecure", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_https_url_without_a_certificate_exits_2()
    {
        var run = await FlopsProcess.RunAsync("serve", "--urls", $"https://127.0.0.1:{FreePort()}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--tls-cert", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_its_key_and_CA_exits_2()
    {
        var run = await FlopsProcess.RunAsync("silo", "--tls-cert", "host.crt", "--postgres", NoDatabase);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("go together", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Advertising_the_unspecified_address_exits_2_pointing_at_listen_any()
    {
        var run = await FlopsProcess.RunAsync("silo", "--advertise", "0.0.0.0", "--insecure", "--postgres", NoDatabase);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--listen-any", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_insecure_a_silo_off_loopback_goes_on_to_its_database()
    {
        var run = await FlopsProcess.RunAsync("silo", "--advertise", "198.18.0.1", "--insecure", "--postgres", NoDatabase);

        // Past the network check: now it is the (missing) database that stops it, at run time.
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("127.0.0.1", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_silos_and_loopback_urls_need_no_TLS()
    {
        Assert.Null(ExposurePolicy.RefusalForSilo(SiloNetwork.Loopback, insecure: false));
        Assert.Null(ExposurePolicy.RefusalForUrls([new Uri("http://127.0.0.1:5080"), new Uri("http://localhost:5081"), new Uri("http://[::1]:5082")], hasTls: false, insecure: false));
    }

    [Fact]
    public void An_exposed_silo_is_refused_without_TLS_unless_insecure()
    {
        var exposed = new SiloNetwork { Advertise = IPAddress.Parse("198.18.0.10") };

        Assert.NotNull(ExposurePolicy.RefusalForSilo(exposed, insecure: false));
        Assert.Null(ExposurePolicy.RefusalForSilo(exposed, insecure: true));
        Assert.NotNull(ExposurePolicy.RefusalForSilo(SiloNetwork.Loopback with { ListenOnAnyInterface = true }, insecure: false));
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }
}
