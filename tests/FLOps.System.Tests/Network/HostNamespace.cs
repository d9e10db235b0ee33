using System.Net;
using System.Text.RegularExpressions;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Network;

/// <summary>
/// One test host made by <c>infra/netns/up.sh</c>: a network namespace whose only interfaces are
/// its loopback and <c>eth0</c> with <see cref="Address"/>, joined to the bridge by
/// <see cref="Veth"/> in the root namespace.
/// </summary>
public sealed partial record HostNamespace(string RunId, string Name, string Netns, IPAddress Address, string Veth)
{
    /// <summary>Starts <c>flops</c> inside this host's namespace.</summary>
    public Launcher Launcher => Launcher.InNamespace(Netns);

    /// <summary>Takes the host's link down (nothing passes either way, no socket is told) or up again.</summary>
    public async Task SetLinkAsync(bool up) =>
        (await ExternalCommand.RunInfraScriptAsync("netns/link.sh", null, RunId, Name, up ? "up" : "down")).EnsureSuccess();

    /// <summary>The addresses of the host's interfaces as <c>ip -o addr</c> inside its namespace reports them.</summary>
    public async Task<IReadOnlyList<IPAddress>> InterfaceAddressesAsync()
    {
        var listed = (await ExternalCommand.RunAsync("ip", ["-n", Netns, "-o", "addr", "show"])).EnsureSuccess();
        return [.. InterfaceAddress().Matches(listed.Stdout).Select(m => IPAddress.Parse(m.Groups["address"].Value))];
    }

    /// <summary>The established TCP connections inside the namespace (<c>ss -tnpH state established</c>), with the ids of the processes that hold them.</summary>
    public async Task<IReadOnlyList<TcpConnection>> EstablishedConnectionsAsync()
    {
        var listed = (await ExternalCommand.RunAsync("ip", ["netns", "exec", Netns, "ss", "-tnpH", "state", "established"])).EnsureSuccess();
        return [.. listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TcpConnection.Parse).OfType<TcpConnection>()];
    }

    public override string ToString() => $"{Name} ({Netns}, {Address})";

    [GeneratedRegex(@"\binet6? (?<address>[0-9a-fA-F.:]+)/\d+")]
    private static partial Regex InterfaceAddress();
}
