using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FLOps.Abstractions.Edge;
using FLOps.Abstractions.Projects;
using FLOps.Hosting;
using FLOps.System.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FLOps.System.Tests.Network;

/// <summary>
/// Issue 18, proved on hosts that talk over a network: a cloud and two edges, each a network
/// namespace with one address in 198.18.0.0/15, mutual TLS on every Orleans connection and HTTPS
/// between learners and the gateway (<see cref="EdgeNetwork"/>, shared by the tests of this class;
/// a test that disturbs it leaves it whole again).
/// </summary>
public sealed partial class EdgeNetworkTests(EdgeNetwork network, ITestOutputHelper output) : IClassFixture<EdgeNetwork>
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Every_host_has_only_its_loopback_and_one_address_in_198_18_0_0_15()
    {
        foreach (var host in network.Hosts.All)
        {
            var addresses = await host.InterfaceAddressesAsync();
            output.WriteLine($"{host}: {string.Join(", ", addresses)}");
            Assert.Equal([host.Address], addresses.Where(a => !IPAddress.IsLoopback(a)));
            Assert.True(InTestBlock(host.Address), $"{host.Address} is outside 198.18.0.0/15");
        }

        Assert.True(InTestBlock(network.Hosts.BridgeAddress));
        Assert.StartsWith($"Host={network.Hosts.BridgeAddress};", network.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hierarchical_project_over_the_registered_learners_completes_with_each_edges_updates_on_its_own_silo_and_only_cluster_models_reaching_the_cloud()
    {
        using var http = network.NewHttpClient();
        var projectId = await SubmitAsync(http, cycles: 2, innerRounds: 2, localEpochs: 1, roundTimeoutSeconds: 30);
        try
        {
            var ended = await WaitFor(projectId, p => p.State.IsTerminal(), TimeSpan.FromMinutes(2), "end");
            Describe(ended);
            Assert.True(ended.State == ProjectState.Completed, $"project {ended.State}: {ended.Reason}");
            Assert.All(ended.Rounds, c => Assert.All(c.Clusters, k => Assert.True(k.Included, $"cycle {c.Round}: {k.Cluster} dropped: {k.Reason}")));
            Assert.All(ended.Rounds, c => Assert.Equal(EdgeNetwork.Edges, c.Clusters.Select(k => k.Cluster).Order(StringComparer.Ordinal)));

            // Each inner round is made of its own edge's learners, and of all of them.
            var devices = new HashSet<string>(StringComparer.Ordinal);
            foreach (var cycle in ended.Rounds)
            {
                foreach (var cluster in cycle.Clusters)
                {
                    Assert.All(cluster.InnerRounds, r => Assert.Equal(EdgeNetwork.LearnersPerEdge, r.Participants));
                    foreach (var inner in cluster.InnerRounds)
                    {
                        var aggregated = await InnerRoundParticipants(ended.Id, cycle, cluster.Cluster, inner.Round);
                        Assert.All(aggregated, d => Assert.Equal(cluster.Cluster, EdgeKeys.ClusterOf(d)));
                        devices.UnionWith(aggregated);
                    }
                }
            }

            // Which silo hosts which activation, as the cluster's management grain reports it: the
            // devices, their inner rounds and the edge aggregators on their edge's silo, the
            // project and the cycles' root aggregators on the cloud's.
            var activations = (await network.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
                .Select(a => (Type: a.GrainType.Split(',')[0].Split('.')[^1], Key: a.GrainId.Key.ToString()!, Host: network.HostOf(a.SiloAddress)))
                .Where(a => a.Key.StartsWith(projectId, StringComparison.Ordinal) || devices.Contains(a.Key))
                .ToList();
            foreach (var a in activations.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"{a.Type} {a.Key} on {a.Host}");
            }

            var onEdges = activations.Where(a => a.Type is "DeviceGrain" or "RoundGrain" or "EdgeAggregatorGrain").ToList();
            Assert.Equal(devices.Order(StringComparer.Ordinal), onEdges.Where(a => a.Type == "DeviceGrain").Select(a => a.Key).Order(StringComparer.Ordinal));
            Assert.Equal(EdgeNetwork.Edges.Length * EdgeNetwork.LearnersPerEdge, devices.Count);
            Assert.Contains(onEdges, a => a.Type == "RoundGrain");
            Assert.All(onEdges, a => Assert.Equal(EdgeKeys.ClusterOf(a.Key), a.Host));
            var inCloud = activations.Where(a => a.Type is "ProjectGrain" or "RootAggregatorGrain").ToList();
            Assert.Contains(inCloud, a => a.Type == "RootAggregatorGrain");
            Assert.All(inCloud, a => Assert.Equal(EdgeNetwork.Cloud, a.Host));

            // One cluster model per edge per cycle is all that reaches the cloud.
            var modelBytes = (long)ended.Model.ParameterCount * sizeof(float);
            Assert.All(ended.Rounds.SelectMany(c => c.Clusters), k => Assert.Equal(modelBytes, k.BytesToCloud));
            Assert.Equal(ended.Rounds.Count * EdgeNetwork.Edges.Length * modelBytes, ended.BytesToCloud);
            await AssertEveryIncludedRoundIsItsJournal(ended);
        }
        finally
        {
            await CancelAsync(http, projectId);
            network.KeepLogs(output, "hierarchical");
        }
    }

    [Fact]
    public async Task No_silo_gateway_or_learner_talks_over_loopback_for_cluster_traffic()
    {
        // The ports of cluster traffic: silo to silo, Orleans clients to the cloud silo, learners
        // to the gateway's HTTPS, everyone to PostgreSQL; each must be seen established on the
        // hosts that take part in it.
        var postgresPort = new NpgsqlConnectionStringBuilder(network.ConnectionString).Port;
        var kinds = new Dictionary<string, int>
        {
            ["silo to silo"] = EdgeNetwork.SiloPort,
            ["Orleans client to the cloud silo"] = EdgeNetwork.GatewayPort,
            ["learner to the HTTPS gateway"] = EdgeNetwork.HttpPort,
            ["PostgreSQL"] = postgresPort,
        };
        var expected = network.Hosts.All
            .SelectMany(h => kinds.Keys.Where(k => h.Name == EdgeNetwork.Cloud || k != "Orleans client to the cloud silo").Select(k => (Host: h.Name, Kind: k)))
            .ToHashSet();
        var seen = new HashSet<(string Host, string Kind)>();
        var clock = Stopwatch.StartNew();
        while (!expected.IsSubsetOf(seen))
        {
            Assert.True(
                clock.Elapsed < TimeSpan.FromSeconds(60),
                $"within 60 s these were never seen established: {string.Join(", ", expected.Except(seen).Select(e => $"{e.Kind} on {e.Host}"))}");
            var processes = network.Processes.Where(p => !p.HasExited).Select(p => p.ProcessId).ToHashSet();
            foreach (var host in network.Hosts.All)
            {
                // Every TCP connection of a silo, gateway or learner, whatever its port, is off loopback and in the test block.
                foreach (var connection in (await host.EstablishedConnectionsAsync()).Where(c => c.ProcessIds.Any(processes.Contains)))
                {
                    Assert.False(connection.IsLoopback, $"{host}: over loopback: {connection.Line}");
                    Assert.True(InTestBlock(connection.Local.Address) && InTestBlock(connection.Peer.Address), $"{host}: outside 198.18.0.0/15: {connection.Line}");
                    var kind = kinds.FirstOrDefault(k => connection.Local.Port == k.Value || connection.Peer.Port == k.Value).Key;
                    if (kind is not null && seen.Add((host.Name, kind)))
                    {
                        output.WriteLine($"{kind} on {host.Name}: {connection.Local} -> {connection.Peer}");
                    }
                }
            }

            await Task.Delay(Poll);
        }
    }

    [Fact]
    public async Task Bringing_edge_b_link_down_mid_cycle_drops_it_with_a_reason_the_cycle_closes_from_edge_a_and_after_a_restart_of_its_silo_edge_b_rejoins_without_losing_an_accepted_update()
    {
        const string lost = "edge-b";
        using var http = network.NewHttpClient();
        var projectId = await SubmitAsync(http, cycles: 40, innerRounds: 2, localEpochs: 2, roundTimeoutSeconds: 20);
        var edgeB = network.Hosts[lost];
        var linkDown = false;
        try
        {
            await WaitFor(projectId, p => p.Rounds.Count >= 1, TimeSpan.FromMinutes(1), "record its first cycle");

            // Mid-cycle: edge-b's first inner round of the open cycle is journaled, its second not yet.
            var cut = await WaitForMidCycle(projectId, lost, TimeSpan.FromMinutes(1));
            await edgeB.SetLinkAsync(up: false);
            linkDown = true;
            var clock = Stopwatch.StartNew();
            output.WriteLine($"edge-b's link down in cycle {cut}");

            var dropped = await WaitFor(projectId, p => p.Rounds.Any(c => c.Clusters.Any(k => k.Cluster == lost && !k.Included)), TimeSpan.FromSeconds(90), "drop edge-b");
            var cycle = dropped.Rounds.First(c => c.Clusters.Any(k => k.Cluster == lost && !k.Included));
            output.WriteLine($"cycle {cycle.Round} recorded without edge-b {clock.Elapsed.TotalSeconds:F1} s after the cut: {cycle.Clusters.Single(k => k.Cluster == lost).Reason}");
            var drop = Assert.Single(cycle.Clusters, k => !k.Included);
            Assert.Equal(lost, drop.Cluster);
            Assert.False(string.IsNullOrWhiteSpace(drop.Reason));
            Assert.Contains(lost, drop.Reason, StringComparison.Ordinal);
            var closedBy = Assert.Single(cycle.Clusters, k => k.Included);
            Assert.Equal("edge-a", closedBy.Cluster);
            Assert.Equal(closedBy.SampleCount, cycle.SampleCount);

            // The link comes back; the silo that the cluster wrote off learns it and exits, and is
            // started again as a supervisor would.
            await edgeB.SetLinkAsync(up: true);
            linkDown = false;
            clock.Restart();
            var old = network.Silos[lost];
            var code = await old.ExitCodeWithin(TimeSpan.FromSeconds(90));
            output.WriteLine($"edge-b's old silo exited with {code?.ToString(CultureInfo.InvariantCulture) ?? "nothing"} {clock.Elapsed.TotalSeconds:F1} s after the link came back");
            Assert.True(code == 1, $"edge-b's silo, written off while cut away, did not exit 1 within 90 s of the link's return (exit: {code?.ToString(CultureInfo.InvariantCulture) ?? "still running"}):\n{Tail(old.Log)}");
            Assert.Contains("flops silo: the cluster declared this silo dead", old.Log, StringComparison.Ordinal);
            await network.RestartSiloAsync(lost);
            await network.WaitUntilTheCloudSees(EdgeNetwork.Edges, TimeSpan.FromMinutes(1));
            var rejoinedAfter = cycle.Round;
            var rejoined = await WaitFor(
                projectId,
                p => p.Rounds.Any(c => c.Round > rejoinedAfter && c.Clusters.Any(k => k.Cluster == lost && k.Included)),
                TimeSpan.FromMinutes(3),
                "include edge-b again");
            output.WriteLine($"edge-b included again in cycle {rejoined.Rounds.First(c => c.Round > rejoinedAfter && c.Clusters.Any(k => k.Cluster == lost && k.Included)).Round}, {clock.Elapsed.TotalSeconds:F1} s after the link came back");
            await CancelAsync(http, projectId);
            var ended = await WaitFor(projectId, p => p.State.IsTerminal(), TimeSpan.FromMinutes(1), "end once cancelled");
            Describe(ended);

            // No accepted update is lost: every cluster the cloud took in was made of exactly the
            // updates its edge journaled, and every update a learner was told was accepted is in
            // the journal.
            await AssertEveryIncludedRoundIsItsJournal(ended);
            await AssertEveryAcceptedUpdateIsJournaled();
            Assert.All(network.Learners.Values.SelectMany(l => l), l => Assert.False(l.HasExited, "a learner stopped:\n" + Tail(l.Log)));
        }
        finally
        {
            if (linkDown)
            {
                await edgeB.SetLinkAsync(up: true);
            }

            await CancelAsync(http, projectId);
            network.KeepLogs(output, "link-down");
        }
    }

    [Fact]
    public async Task A_silo_with_a_certificate_from_another_CA_and_a_plaintext_Orleans_client_are_refused_and_nothing_joins()
    {
        const string refusedCertificate = "TLS: refused a peer of the cluster";
        const string refusedPlaintext = "Cannot determine the frame size or a corrupted frame was received";
        var edgeA = network.Hosts["edge-a"];
        var strangers = Path.Combine(network.Certificates, "other-ca");
        await EdgeNetwork.CreateCertificatesAsync(strangers, [edgeA.Address]);
        const int strangerPort = EdgeNetwork.SiloPort + 1;
        var refusalsBefore = Refusals(refusedCertificate);
        var stranger = CommandProcess.Launch(
            ["silo", "--postgres", network.ConnectionString, "--advertise", edgeA.Address.ToString(), "--silo-port", strangerPort.ToString(CultureInfo.InvariantCulture),
             "--gateway-port", "0", "--cluster-id", network.ClusterId, "--service-id", network.ClusterId, "--role", "edge", "--cluster", "edge-a",
             .. EdgeNetwork.TlsArguments(strangers, edgeA.Address)],
            "flops silo ready",
            strangerPort,
            launcher: edgeA.Launcher);
        try
        {
            // The stranger finds the cluster's silos in the database (which it can reach) and
            // tries to join; their TLS refuses its certificate, the cluster writes it off, and it
            // exits without ever having been ready.
            var code = await stranger.ExitCodeWithin(TimeSpan.FromMinutes(2));
            output.WriteLine($"the stranger silo exited with {code?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}:\n{Tail(stranger.Log)}");
            Assert.NotNull(code);
            Assert.NotEqual(0, code);
            Assert.DoesNotContain("flops silo ready", stranger.Log, StringComparison.Ordinal);
            Assert.NotEqual(SiloStatus.Active, await MembershipStatus(edgeA.Address, strangerPort));
            Assert.True(Refusals(refusedCertificate) > refusalsBefore, $"no silo of the cluster logged '{refusedCertificate}'");

            // A client without TLS: the cloud silo's gateway reads its first bytes as a broken TLS
            // record and hangs up. The client never gets to make a call.
            var plaintextBefore = Refusals(refusedPlaintext);
            using var plaintext = PostgresCluster.BuildClient(network.ConnectionString, network.ClusterId, network.ClusterId);
            var connecting = plaintext.StartAsync();
            var clock = Stopwatch.StartNew();
            while (Refusals(refusedPlaintext) <= plaintextBefore)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "within 60 s no silo logged the refusal of the plaintext client");
                await Task.Delay(Poll);
            }

            output.WriteLine($"the plaintext client was refused {clock.Elapsed.TotalSeconds:F1} s after it started; its start {(connecting.IsCompleted ? connecting.Status.ToString() : "still waits")}");
            Assert.False(connecting.IsCompletedSuccessfully, "the plaintext client connected");
            await plaintext.StopAsync(new CancellationToken(canceled: true)).ContinueWith(_ => { }, TaskScheduler.Default);

            // Nothing joined: the cluster is its three silos.
            var hosts = await network.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            output.WriteLine($"active silos: {string.Join(", ", hosts.Keys.Select(s => $"{s.Endpoint} ({network.HostOf(s)})"))}");
            Assert.Equal(new[] { EdgeNetwork.Cloud }.Concat(EdgeNetwork.Edges).Order(StringComparer.Ordinal), hosts.Keys.Select(network.HostOf).Order(StringComparer.Ordinal));
            Assert.All(hosts.Keys, s => Assert.Equal(EdgeNetwork.SiloPort, s.Endpoint.Port));
        }
        finally
        {
            await stranger.DisposeAsync();
            network.KeepLogs(output, "strangers");
        }
    }

    /// <summary>How many times the cluster's silos logged <paramref name="refusal"/> so far.</summary>
    private int Refusals(string refusal) => network.Silos.Values.Sum(s => s.Log.Split(refusal).Length - 1);

    /// <summary>Submits a hierarchical project over the registered learners through the HTTPS gateway, as the user.</summary>
    private static async Task<string> SubmitAsync(HttpClient http, int cycles, int innerRounds, int localEpochs, int roundTimeoutSeconds)
    {
        using var created = await http.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "netns",
            dataTag = "mnist",
            model = new { kind = "softmax" },
            training = new
            {
                mode = "hierarchical",
                cycles,
                rounds = innerRounds,
                localEpochs,
                batchSize = 16,
                learningRate = 0.5,
                minFitClients = EdgeNetwork.LearnersPerEdge,
                minAvailableClients = EdgeNetwork.LearnersPerEdge,
                minFitClusters = 1,
                roundTimeoutSeconds,
            },
        });
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, $"the gateway refused the project ({(int)created.StatusCode}): {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task CancelAsync(HttpClient http, string projectId)
    {
        try
        {
            using var _ = await http.PostAsync($"/api/v1/projects/{projectId}/cancel", null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Best effort: the fixture's end stops everything anyway.
        }
    }

    /// <summary>Polls the project through the test's Orleans client until the condition holds, riding out calls that fail while a silo is away.</summary>
    private async Task<ProjectSnapshot> WaitFor(string projectId, Func<ProjectSnapshot, bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        ProjectSnapshot? seen = null;
        while (clock.Elapsed < limit)
        {
            try
            {
                seen = await network.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot().WaitAsync(TimeSpan.FromSeconds(10));
                if (condition(seen))
                {
                    return seen;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }

            await Task.Delay(Poll);
        }

        if (seen is not null)
        {
            Describe(seen);
        }

        throw new TimeoutException($"project {projectId} did not {what} within {limit.TotalSeconds:F0} s (state {seen?.State}, {seen?.Rounds.Count} cycles recorded; last error: {last?.Message ?? "none"})");
    }

    /// <summary>Waits until <paramref name="edge"/> journaled an update of the first inner round of the open cycle and none of its second; returns that cycle.</summary>
    private async Task<int> WaitForMidCycle(string projectId, string edge, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var snapshot = await network.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot();
            var cycle = snapshot.Rounds.Count + 1;
            var aggregator = IEdgeAggregatorGrain.KeyFor(projectId, cycle, 0, edge);
            if ((await ProjectInvariants.JournalRows(network.ConnectionString, aggregator, 1)).Count > 0
                && (await ProjectInvariants.JournalRows(network.ConnectionString, aggregator, 2)).Count == 0)
            {
                return cycle;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        throw new TimeoutException($"{edge} never was between its first and second inner round within {limit.TotalSeconds:F0} s");
    }

    /// <summary>The devices an inner round of a cycle aggregated, as its round grain keeps them.</summary>
    private Task<IReadOnlyList<string>> InnerRoundParticipants(string projectId, RoundSummary cycle, string cluster, int innerRound) =>
        ProjectInvariants.Aggregated(network.Grains, IEdgeAggregatorGrain.InnerRoundKey(IEdgeAggregatorGrain.KeyFor(projectId, cycle.Round, cycle.Attempt, cluster), innerRound));

    /// <summary>Every inner round of every cluster a cycle took in holds exactly the updates the edge journaled for it.</summary>
    private async Task AssertEveryIncludedRoundIsItsJournal(ProjectSnapshot project)
    {
        foreach (var cycle in project.Rounds)
        {
            foreach (var cluster in cycle.Clusters.Where(k => k.Included))
            {
                var aggregator = IEdgeAggregatorGrain.KeyFor(project.Id, cycle.Round, cycle.Attempt, cluster.Cluster);
                foreach (var inner in cluster.InnerRounds)
                {
                    var journal = await ProjectInvariants.JournalRows(network.ConnectionString, aggregator, inner.Round);
                    var aggregated = await InnerRoundParticipants(project.Id, cycle, cluster.Cluster, inner.Round);
                    Assert.True(
                        journal.Select(r => r.DeviceId).Order(StringComparer.Ordinal).SequenceEqual(aggregated),
                        $"cycle {cycle.Round}, {cluster.Cluster}, inner round {inner.Round} aggregated [{string.Join(", ", aggregated)}] but its journal holds [{string.Join(", ", journal.Select(r => r.DeviceId))}]");
                }
            }
        }
    }

    /// <summary>Each learner's updates that the gateway answered "accepted" are all in the journal (rows of any project; a device id is one registration's).</summary>
    private async Task AssertEveryAcceptedUpdateIsJournaled()
    {
        foreach (var learner in network.Learners.Values.SelectMany(l => l))
        {
            var log = learner.Log;
            var accepted = AcceptedLine().Count(log);
            var devices = Registered().Matches(log).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
            var journaled = 0L;
            await using var connection = new NpgsqlConnection(network.ConnectionString);
            await connection.OpenAsync();
            foreach (var device in devices)
            {
                await using var count = new NpgsqlCommand("SELECT count(*) FROM flops_update_journal WHERE device_id = $1", connection);
                count.Parameters.Add(new NpgsqlParameter { Value = device });
                journaled += (long)(await count.ExecuteScalarAsync())!;
            }

            output.WriteLine($"{string.Join(",", devices)}: {accepted} updates accepted, {journaled} journaled");
            Assert.True(accepted <= journaled, $"{string.Join(",", devices)} was told {accepted} updates were accepted, but the journal holds {journaled}");
        }
    }

    private async Task<SiloStatus> MembershipStatus(IPAddress address, int port)
    {
        await using var connection = new NpgsqlConnection(network.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Address = $2 AND Port = $3 ORDER BY Generation DESC LIMIT 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = network.ClusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = address.ToString() });
        command.Parameters.Add(new NpgsqlParameter { Value = port });
        return await command.ExecuteScalarAsync() is int status ? (SiloStatus)status : SiloStatus.None;
    }

    private void Describe(ProjectSnapshot project)
    {
        output.WriteLine($"project {project.Id}: {project.State} {project.Reason}");
        foreach (var c in project.Rounds)
        {
            output.WriteLine($"cycle {c.Round}: {c.Seconds:F1} s, accuracy {c.Accuracy:F4}, " + string.Join("; ", c.Clusters.Select(k => k.Included
                ? $"{k.Cluster}: {string.Join(" ", k.InnerRounds.Select(r => $"{r.Participants}/{r.Selected}"))}, {k.BytesToCloud} B to the cloud"
                : $"{k.Cluster} dropped: {k.Reason}")));
        }
    }

    private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;

    /// <summary>Whether an address is in 198.18.0.0/15, RFC 2544's block for network testing.</summary>
    private static bool InTestBlock(IPAddress address)
    {
        var bytes = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).GetAddressBytes();
        return bytes.Length == 4 && bytes[0] == 198 && (bytes[1] & 0xFE) == 18;
    }

    [GeneratedRegex(@"flops learner: task .*, update accepted$", RegexOptions.Multiline)]
    private static partial Regex AcceptedLine();

    [GeneratedRegex(@"flops learner: registered as (\S+) ")]
    private static partial Regex Registered();
}
