using System.Net;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Network;

/// <summary>
/// Test hosts of one run of <c>infra/netns/up.sh</c>: network namespaces on the bridge, with
/// addresses in 198.18.0.0/15, named after a run id of their own so that parallel runs never meet.
/// Removed by <c>infra/netns/down.sh</c> (which also ends whatever still runs inside them).
/// </summary>
public sealed class NetworkHosts : IAsyncDisposable
{
    private readonly Dictionary<string, HostNamespace> _hosts;

    private NetworkHosts(string runId, IPAddress bridgeAddress, Dictionary<string, HostNamespace> hosts)
    {
        RunId = runId;
        BridgeAddress = bridgeAddress;
        _hosts = hosts;
    }

    public string RunId { get; }

    /// <summary>The root namespace's side of the bridge: where the test (the user) and PostgreSQL are.</summary>
    public IPAddress BridgeAddress { get; }

    public HostNamespace this[string name] => _hosts[name];

    public IEnumerable<HostNamespace> All => _hosts.Values;

    /// <summary>
    /// Makes the hosts. Without root or without <c>ip netns</c> this fails with up.sh's reason:
    /// a test that needs the network never passes by skipping it.
    /// </summary>
    public static async Task<NetworkHosts> CreateAsync(params string[] names)
    {
        var runId = "n" + Guid.NewGuid().ToString("N")[..5];
        var made = await ExternalCommand.RunInfraScriptAsync("netns/up.sh", null, [runId, .. names]);
        if (made.ExitCode != 0)
        {
            await ExternalCommand.RunInfraScriptAsync("netns/down.sh", null, runId);
            throw new InvalidOperationException(
                $"the network tests need test hosts in network namespaces (root, iproute2's `ip netns`, veth and bridge support), and infra/netns/up.sh failed ({made.ExitCode}):\n{made.Stderr}");
        }

        IPAddress? bridge = null;
        var hosts = new Dictionary<string, HostNamespace>(StringComparer.Ordinal);
        foreach (var fields in made.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
        {
            switch (fields)
            {
                case ["bridge", _, var address]:
                    bridge = IPAddress.Parse(address);
                    break;
                case ["host", var name, var netns, var address, var veth]:
                    hosts[name] = new HostNamespace(runId, name, netns, IPAddress.Parse(address), veth);
                    break;
                default:
                    break;
            }
        }

        return new NetworkHosts(runId, bridge ?? throw new InvalidOperationException("infra/netns/up.sh named no bridge:\n" + made.Stdout), hosts);
    }

    public async ValueTask DisposeAsync() =>
        (await ExternalCommand.RunInfraScriptAsync("netns/down.sh", null, RunId)).EnsureSuccess();
}
