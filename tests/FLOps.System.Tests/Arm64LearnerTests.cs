using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using FLOps.System.Tests.Infrastructure;
using FLOps.System.Tests.Network;
using FLOps.Tls;

namespace FLOps.System.Tests;

/// <summary>
/// An arm64 edge device on a network: the self-contained linux-arm64 flops, under qemu on this x64
/// machine, as a learner on the test host <c>arm-edge</c>, beside an x64 learner on <c>x64-edge</c>,
/// both registered over HTTPS with an x64 <c>flops serve</c> on the host <c>cloud</c>. Every host is
/// a network namespace with one address in 198.18.0.0/15, and every certificate comes from
/// <c>flops certs create</c>: the learners trust the cluster's CA only (<c>--ca</c>). Alone in its
/// collection: the publish and the emulation keep both cores busy, which would stretch the timed
/// tests running beside them.
/// </summary>
[Collection(Arm64Collection.Name)]
public sealed class Arm64LearnerTests(ITestOutputHelper output)
{
    private const int Rounds = 2;
    private const int HttpPort = 5443;
    private const string Cloud = "cloud";

    [Fact]
    public async Task An_arm64_learner_under_qemu_and_an_x64_learner_on_their_own_hosts_complete_a_project_over_https()
    {
        var arm64 = await Arm64Flops.PrepareAsync();
        output.WriteLine($"linux-arm64 publish: {arm64.PublishTime.TotalSeconds:F0} s, {new FileInfo(arm64.Binary).Length / 1e6:F0} MB");

        await using var hosts = await NetworkHosts.CreateAsync(Cloud, "arm-edge", "x64-edge");
        var certificates = Directory.CreateTempSubdirectory("flops-arm64-certs").FullName;
        try
        {
            await EdgeNetwork.CreateCertificatesAsync(certificates, hosts.All.Select(h => h.Address));
            var authority = Path.Combine(certificates, ClusterCertificates.AuthorityCertificateFile);
            var cloud = hosts[Cloud];
            var gateway = $"https://{cloud.Address}:{HttpPort}";

            await using var serve = await CommandProcess.StartAsync(
                ["serve", "--urls", gateway, "--advertise", cloud.Address.ToString(), .. EdgeNetwork.TlsArguments(certificates, cloud.Address)],
                "flops serve: listening",
                environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = $"a:{ServeApi.KeyOfA}" },
                launcher: cloud.Launcher);

            string[] learner = ["learner", "--gateway", gateway, "--ca", authority, "--api-key", ServeApi.KeyOfA];
            var starting = Stopwatch.StartNew();
            await using var armLearner = await arm64.StartAsync(
                [.. learner, "--data", "mnist:shard=0/2", "--name", "arm64-device"],
                "flops learner: registered",
                new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },   // as flops-learner@.service runs it
                hosts["arm-edge"].Launcher.Prefix);
            output.WriteLine($"arm64 learner registered {starting.Elapsed.TotalSeconds:F1} s after its start");
            await using var x64Learner = await CommandProcess.StartAsync(
                [.. learner, "--data", "mnist:shard=1/2", "--name", "x64-device"], "flops learner: registered", launcher: hosts["x64-edge"].Launcher);

            using var http = new HttpClient(PrivateAuthority.TrustingHandler(authority)) { BaseAddress = new Uri(gateway) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServeApi.KeyOfA);
            var id = await ServeApi.Submit(http, new
            {
                name = "arm64-and-x64",
                dataTag = "mnist",
                model = new { kind = "softmax" },
                // The emulated first round took 21 s on an idle machine: the deadline is far from it.
                training = new { rounds = Rounds, batchSize = 16, learningRate = 0.5, minFitClients = 2, minAvailableClients = 2, roundTimeoutSeconds = 240 },
            });
            var project = await ServeApi.WaitForState(http, id, "Completed", TimeSpan.FromMinutes(9));

            var rounds = project.GetProperty("rounds").EnumerateArray().ToList();
            Assert.Equal(Rounds, rounds.Count);
            foreach (var round in rounds)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round.GetProperty("round")}: {round.GetProperty("seconds").GetDouble():F1} s, {round.GetProperty("participants")} participants"));
                Assert.True(round.GetProperty("participants").GetInt32() == 2, project.ToString());
                Assert.Equal(0, round.GetProperty("failures").GetArrayLength());
            }

            for (var round = 1; round <= Rounds; round++)
            {
                Assert.Matches($@"flops learner: task {id}/{round} \(round {round}\): trained on \d+ samples, loss [0-9.]+, update accepted", armLearner.Stdout);
            }

            // Each learner holds its long poll open to the gateway from its own host's address.
            await PeersOfTheGateway(cloud, [hosts["arm-edge"].Address, hosts["x64-edge"].Address], TimeSpan.FromSeconds(30));

            // run.sh execs the emulator, which hands SIGTERM to flops: the learner stops as under a
            // service manager, with the code the x64 learner gives too (143, System.CommandLine's for SIGTERM).
            var exitCode = await armLearner.TerminateAsync(TimeSpan.FromMinutes(1));
            Assert.True(exitCode is 0 or 143, $"exit code {exitCode}:\n{armLearner.Log}");
        }
        finally
        {
            Directory.Delete(certificates, recursive: true);
        }
    }

    /// <summary>Waits until the cloud host has an established connection to the gateway's port from each of <paramref name="peers"/>.</summary>
    private async Task PeersOfTheGateway(HostNamespace cloud, IReadOnlyList<IPAddress> peers, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var connections = await cloud.EstablishedConnectionsAsync();
            var toGateway = connections.Where(c => c.Local.Port == HttpPort).Select(c => c.Peer.Address).ToHashSet();
            if (peers.All(toGateway.Contains))
            {
                output.WriteLine("gateway's peers: " + string.Join(", ", toGateway));
                return;
            }

            Assert.True(watch.Elapsed < limit, $"the gateway's peers were {string.Join(", ", toGateway)}, not each of {string.Join(", ", peers)}:\n{string.Join("\n", connections)}");
            await Task.Delay(200);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64Collection
{
    public const string Name = "arm64 under qemu";
}
