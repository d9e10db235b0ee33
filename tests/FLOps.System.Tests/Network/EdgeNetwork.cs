using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using FLOps.Abstractions.Edge;
using FLOps.Hosting;
using FLOps.System.Tests.Infrastructure;
using FLOps.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FLOps.System.Tests.Network;

/// <summary>
/// Issue 18's deployment on one machine, with TLS everywhere: the hosts <c>cloud</c> (cloud silo
/// and HTTP gateway), <c>edge-a</c> and <c>edge-b</c> (an edge silo and two <c>flops learner</c>
/// processes each), each its own network namespace with one address in 198.18.0.0/15, and the
/// test itself as the user on the bridge, where PostgreSQL listens too. Every process gets its
/// host's certificate from <c>flops certs create</c>; the test's Orleans client and HTTPS client
/// use the bridge address's certificate and trust only the cluster's CA.
/// </summary>
public sealed class EdgeNetwork : IAsyncLifetime
{
    public const string Cloud = "cloud";
    public const string Tenant = "netns";
    public const string ApiKey = "netns-tests-key";
    public const int LearnersPerEdge = 2;

    // Each host has its own port space: every silo and gateway listens on the ports of a real deployment.
    public const int SiloPort = 11111;
    public const int GatewayPort = 30000;
    public const int HttpPort = 5080;

    public static readonly string[] Edges = ["edge-a", "edge-b"];

    /// <summary>A PostgreSQL cluster of the network tests' own, listening on the bridge address too.</summary>
    public const string PostgresClusterName = "netns";

    private readonly List<CommandProcess> _stopped = [];
    private readonly Dictionary<string, CommandProcess> _silos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CommandProcess>> _learners = new(StringComparer.Ordinal);
    private NetworkHosts? _hosts;
    private IHost? _client;
    private ClusterTls? _userTls;

    public NetworkHosts Hosts => _hosts ?? throw new InvalidOperationException("the hosts are not up");

    public string ConnectionString { get; private set; } = "";

    public string ClusterId { get; } = "netns-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The cluster's certificates: <c>ca.crt</c> and <c>ADDRESS.crt</c>/<c>ADDRESS.key</c> per host.</summary>
    public string Certificates { get; } = Path.Combine(Path.GetTempPath(), "flops-netns-" + Guid.NewGuid().ToString("N")[..8]);

    public string AuthorityPath => Path.Combine(Certificates, ClusterCertificates.AuthorityCertificateFile);

    public IReadOnlyDictionary<string, CommandProcess> Silos => _silos;

    public CommandProcess Gateway { get; private set; } = null!;

    public IReadOnlyDictionary<string, List<CommandProcess>> Learners => _learners;

    public Uri GatewayUrl => new($"https://{Hosts[Cloud].Address}:{HttpPort}");

    /// <summary>The test's Orleans client (over mutual TLS, as the user on the bridge).</summary>
    public IGrainFactory Grains => _client?.Services.GetRequiredService<IGrainFactory>() ?? throw new InvalidOperationException("no client");

    /// <summary>Every flops process started so far, running or not, for the logs.</summary>
    public IEnumerable<CommandProcess> Processes => _stopped.Concat(_silos.Values).Concat(Gateway is null ? [] : [Gateway]).Concat(_learners.Values.SelectMany(l => l));

    public async Task InitializeAsync()
    {
        try
        {
            _hosts = await NetworkHosts.CreateAsync([Cloud, .. Edges]);
            ConnectionString = (await ExternalCommand.RunInfraScriptAsync("postgres/up.sh", PostgresEnvironment(Hosts.BridgeAddress))).EnsureSuccess().LastLine;
            await CreateCertificatesAsync(Certificates, [Hosts.BridgeAddress, .. Hosts.All.Select(h => h.Address)]);
            _userTls = ClusterTls.Load(FilesFor(Certificates, Hosts.BridgeAddress));

            // The silos start side by side: none needs another to be up first. A process that was
            // started when a later one failed is ended with its namespace (down.sh).
            var silos = await Task.WhenAll(new[] { Cloud }.Concat(Edges).Select(h => StartSiloAsync(Hosts[h])));
            foreach (var (host, silo) in new[] { Cloud }.Concat(Edges).Zip(silos))
            {
                _silos[host] = silo;
            }

            _client = PostgresCluster.BuildClient(ConnectionString, ClusterId, ClusterId, _userTls);
            await _client.StartAsync();
            await WaitUntilTheCloudSees(Edges, TimeSpan.FromMinutes(1));
            Gateway = await StartGatewayAsync();
            foreach (var edge in Edges)
            {
                _learners[edge] = [.. await Task.WhenAll(Enumerable.Range(0, LearnersPerEdge).Select(i => StartLearnerAsync(edge, i)))];
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>The environment of <c>infra/postgres/up.sh</c> for this fixture's cluster, listening on <paramref name="bridge"/> too.</summary>
    public static Dictionary<string, string> PostgresEnvironment(IPAddress bridge) => new()
    {
        ["FLOPS_PG_CLUSTER"] = PostgresClusterName,
        ["PGPORT"] = Environment.GetEnvironmentVariable("FLOPS_NETNS_PGPORT") is { Length: > 0 } port ? port : "5498",
        ["FLOPS_PG_LISTEN"] = bridge.ToString(),
    };

    /// <summary><c>flops certs create --out DIRECTORY --host ...</c> (the CA is made unless the directory has one).</summary>
    public static async Task CreateCertificatesAsync(string directory, IEnumerable<IPAddress> hosts)
    {
        var command = Launcher.Local.CommandLine(["certs", "create", "--out", directory, .. hosts.SelectMany(h => new[] { "--host", h.ToString() })]);
        (await ExternalCommand.RunAsync(command[0], command.Skip(1))).EnsureSuccess();
    }

    public static TlsFiles FilesFor(string directory, IPAddress host) =>
        new(Path.Combine(directory, $"{host}.crt"), Path.Combine(directory, $"{host}.key"), Path.Combine(directory, ClusterCertificates.AuthorityCertificateFile));

    /// <summary><c>--tls-cert … --tls-key … --tls-ca …</c> for a host, from <paramref name="directory"/>.</summary>
    public static string[] TlsArguments(string directory, IPAddress host)
    {
        var files = FilesFor(directory, host);
        return ["--tls-cert", files.CertificatePath, "--tls-key", files.KeyPath, "--tls-ca", files.AuthorityPath];
    }

    /// <summary>Which host a silo address of the membership table belongs to.</summary>
    public string HostOf(SiloAddress silo) => Hosts.All.SingleOrDefault(h => h.Address.Equals(silo.Endpoint.Address))?.Name ?? $"unknown {silo.Endpoint}";

    /// <summary>
    /// Starts <c>flops silo</c> on a host: the cloud silo, or the edge silo of the cluster named
    /// after the host. Edge silos take no Orleans clients (by default, so no port is given them): a client
    /// sends each call through one of the silos it is connected to, and a call routed through an
    /// edge whose link is cut waits for its response timeout (30 s) even when its grain lives on
    /// another edge; through the cloud silo, calls to edge-a carry on while edge-b is away.
    /// </summary>
    public Task<CommandProcess> StartSiloAsync(HostNamespace host, string? certificates = null, int siloPort = SiloPort)
    {
        ArgumentNullException.ThrowIfNull(host);
        var gatewayPort = host.Name == Cloud ? GatewayPort : 0;
        string[] role = host.Name == Cloud ? ["--role", "cloud", "--gateway-port", GatewayPort.ToString(CultureInfo.InvariantCulture)] : ["--role", "edge", "--cluster", host.Name];
        return CommandProcess.StartAsync(
            ["silo", "--postgres", ConnectionString, "--advertise", host.Address.ToString(), "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
             "--cluster-id", ClusterId, "--service-id", ClusterId, "--project-tick", "2",
             .. role, .. TlsArguments(certificates ?? Certificates, host.Address)],
            "flops silo ready",
            siloPort,
            gatewayPort,
            launcher: host.Launcher);
    }

    /// <summary>Starts the edge silo of <paramref name="edge"/> again, as a supervisor would once it exited; the old process is kept for the logs.</summary>
    public async Task<CommandProcess> RestartSiloAsync(string edge)
    {
        var old = _silos[edge];
        old.Kill();
        _stopped.Add(old);
        _silos.Remove(edge);
        var silo = await StartSiloAsync(Hosts[edge]);
        _silos[edge] = silo;
        return silo;
    }

    private Task<CommandProcess> StartGatewayAsync()
    {
        var cloud = Hosts[Cloud];
        return CommandProcess.StartAsync(
            ["gateway", "--postgres", ConnectionString, "--cluster-id", ClusterId, "--service-id", ClusterId, "--urls", GatewayUrl.ToString().TrimEnd('/'),
             .. TlsArguments(Certificates, cloud.Address)],
            "flops gateway: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = $"{Tenant}:{ApiKey}" },
            launcher: cloud.Launcher);
    }

    private Task<CommandProcess> StartLearnerAsync(string edge, int index)
    {
        var shard = (Array.IndexOf(Edges, edge) * LearnersPerEdge) + index;
        return CommandProcess.StartAsync(
            ["learner", "--gateway", GatewayUrl.ToString().TrimEnd('/'), "--ca", AuthorityPath, "--api-key", ApiKey, "--cluster", edge, "--name", $"{edge}-{index}",
             "--data", $"mnist:shard={shard}/{Edges.Length * LearnersPerEdge}"],
            "flops learner: registered",
            launcher: Hosts[edge].Launcher);
    }

    /// <summary>An HTTPS client of the gateway, as the user: it trusts the cluster's CA only and sends the API key.</summary>
    public HttpClient NewHttpClient()
    {
        var http = new HttpClient(PrivateAuthority.TrustingHandler(AuthorityPath)) { BaseAddress = GatewayUrl, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    /// <summary>Waits until the cloud silo's membership shows a live silo for each of <paramref name="edges"/>.</summary>
    public async Task WaitUntilTheCloudSees(IReadOnlyList<string> edges, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        while (true)
        {
            try
            {
                if (edges.All((await Grains.GetGrain<ITopologyGrain>(0).LiveEdgeClusters().WaitAsync(TimeSpan.FromSeconds(10))).ContainsKey))
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException && !deadline.IsCancellationRequested)
            {
                // A silo that just died or joined: ask again.
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"the cloud silo did not see a live silo of each of {string.Join(", ", edges)} within {limit.TotalSeconds:F0} s");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Writes what each process printed to <c>netns-logs/</c> beside the test assembly, and says where.</summary>
    public void KeepLogs(ITestOutputHelper output, string name)
    {
        ArgumentNullException.ThrowIfNull(output);
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "netns-logs")).FullName;
        foreach (var (process, i) in Processes.Select((p, i) => (p, i)))
        {
            File.WriteAllText(Path.Combine(directory, $"{name}-{i}.log"), process.Log);
        }

        output.WriteLine($"process logs: {directory}/{name}-*.log");
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(new CancellationToken(canceled: true)).ContinueWith(_ => { }, TaskScheduler.Default);
            _client.Dispose();
            _client = null;
        }

        foreach (var process in Processes.ToList())
        {
            await process.DisposeAsync();
        }

        _userTls?.Dispose();
        if (_hosts is not null)
        {
            await _hosts.DisposeAsync();
            _hosts = null;
        }

        if (Directory.Exists(Certificates))
        {
            Directory.Delete(Certificates, recursive: true);
        }
    }
}
