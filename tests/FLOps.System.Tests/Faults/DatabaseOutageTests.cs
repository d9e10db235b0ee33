using System.Diagnostics;
using FLOps.Abstractions.Projects;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Faults;

/// <summary>
/// Issue 17: PostgreSQL goes away under two durable silos in the middle of a round (some of its
/// updates journaled, others on their way) and comes back. The project ends, completed or failed
/// with a reason, within a bound computed from its timeouts; every round is recorded once and is
/// the aggregate of exactly the updates its journal holds.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class DatabaseOutageTests(FaultPostgresFixture postgres, ITestOutputHelper output)
{
    private const int Devices = 6;

    /// <summary>The metrics port (and <c>/readyz</c>) of the outage's first silo.</summary>
    private Uri? _silo;

    /// <summary>The metrics port of the second silo: the grains whose writes fail may live on either.</summary>
    private Uri? _otherSilo;

    /// <summary>A <c>flops gateway</c> of the cluster.</summary>
    private Uri? _gateway;

    [Fact]
    public Task A_30_s_database_outage_mid_round_ends_the_project_within_its_timeouts_with_every_round_recorded_once() =>
        Outage(rounds: 6, roundTimeoutSeconds: 40, down: TimeSpan.FromSeconds(30), PostgresStop.Fast);

    [LongFaultFact]
    public Task A_120_s_database_outage_across_the_round_deadline_ends_the_project_within_its_timeouts_with_every_round_recorded_once() =>
        Outage(rounds: 6, roundTimeoutSeconds: 40, down: TimeSpan.FromSeconds(120), PostgresStop.Fast);

    [Fact]
    public Task A_database_crash_while_updates_are_journaled_and_an_immediate_restart_end_the_project_with_every_round_recorded_once() =>
        Outage(rounds: 6, roundTimeoutSeconds: 40, down: TimeSpan.Zero, PostgresStop.Immediate);

    private async Task Outage(int rounds, int roundTimeoutSeconds, TimeSpan down, PostgresStop stop, int fromRound = 3)
    {
        var spec = FaultScenario.Spec(rounds, roundTimeoutSeconds, Devices);
        var projectId = "outage-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = new DurableCluster(postgres.ConnectionString);
        var metricsPort = CommandProcess.FreePort();
        await cluster.StartSiloAsync("--metrics-port", metricsPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        var otherMetricsPort = CommandProcess.FreePort();
        await cluster.StartSiloAsync("--metrics-port", otherMetricsPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        _silo = new Uri($"http://127.0.0.1:{metricsPort}/");
        _otherSilo = new Uri($"http://127.0.0.1:{otherMetricsPort}/");
        var gatewayUrl = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        await using var gateway = await FaultScenario.StartGateway(cluster, gatewayUrl);
        _gateway = new Uri(gatewayUrl + "/");
        await cluster.Grains.GetGrain<IProjectGrain>(projectId).Submit(spec, "fault-tests");
        try
        {
            await Disturb(cluster, projectId, spec, down, stop, fromRound);
        }
        finally
        {
            FaultScenario.KeepLogs(output, projectId, cluster.Silos);
        }
    }

    private async Task Disturb(DurableCluster cluster, string projectId, ProjectSpec spec, TimeSpan down, PostgresStop stop, int fromRound)
    {
        var rounds = spec.Training.Rounds;

        // Mid-round: at least the quorum of a round journaled, not yet all of it.
        var (round, journaled) = await MidRound(cluster, projectId, spec, fromRound);
        var recordedBefore = round - 1;
        await postgres.StopAsync(stop);
        var outage = Stopwatch.StartNew();
        string? degraded = null;
        try
        {
            if (down > TimeSpan.Zero)
            {
                // While it is down, the silo and the gateway say they are degraded, not dead.
                degraded = await Readiness(_silo!, 503, down);
                var gatewayDegraded = await Readiness(_gateway!, 503, down);
                Assert.True(gatewayDegraded.Contains("degraded: database unreachable", StringComparison.Ordinal), gatewayDegraded);
                await Task.Delay(down - outage.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero); // the fault: PostgreSQL stays down this long
            }
        }
        finally
        {
            await postgres.StartAsync();
        }

        if (degraded is not null)
        {
            Assert.Contains("degraded: database unreachable", degraded, StringComparison.Ordinal);
            await Readiness(_silo!, 200, TimeSpan.FromSeconds(30));
            await Readiness(_gateway!, 200, TimeSpan.FromSeconds(30));
            using var http = new HttpClient();
            var scrapes = await Task.WhenAll(
                http.GetStringAsync(new Uri(_silo!, "metrics")),
                http.GetStringAsync(new Uri(_otherSilo!, "metrics")));
            Assert.Contains(scrapes, scrape => scrape.Contains("flops_storage_errors_total{", StringComparison.Ordinal));
        }

        var downFor = outage.Elapsed;
        var recovery = Stopwatch.StartNew();
        var bound = FaultScenario.EndBound(spec, roundsLeft: rounds - round);
        var next = await FaultScenario.WaitFor(cluster, projectId, p => p.Rounds.Count > recordedBefore || p.State.IsTerminal(), bound, "record round " + round);
        var toNext = recovery.Elapsed;
        var ended = await FaultScenario.WaitForEnd(cluster, projectId, bound - toNext);
        output.WriteLine(
            $"PostgreSQL stopped ({stop}) in round {round} with {journaled} of {Devices} updates journaled, down {downFor.TotalSeconds:F1} s; " +
            $"after it was back: round {round} {(next.Rounds.Count > recordedBefore ? "recorded" : "not recorded")} in {toNext.TotalSeconds:F1} s, " +
            $"project {ended.State} in {recovery.Elapsed.TotalSeconds:F1} s (bound {bound.TotalSeconds:F0} s){(ended.Reason is null ? "" : ": " + ended.Reason)}");

        output.WriteLine(FaultScenario.Describe(ended, round));
        FaultScenario.AssertEndedWithAReason(ended);
        await ProjectInvariants.AssertHold(cluster.ConnectionString, cluster.Grains, ended);
    }

    /// <summary>The body of <c>/readyz</c> at <paramref name="host"/> once it answers <paramref name="status"/>, polled within <paramref name="limit"/>.</summary>
    private static async Task<string> Readiness(Uri host, int status, TimeSpan limit)
    {
        using var http = new HttpClient { BaseAddress = host, Timeout = TimeSpan.FromSeconds(10) };
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            using var answer = await http.GetAsync(new Uri("readyz", UriKind.Relative));
            var body = await answer.Content.ReadAsStringAsync();
            if ((int)answer.StatusCode == status)
            {
                return body;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{host}readyz did not answer {status} within {limit.TotalSeconds} s (last: {(int)answer.StatusCode} {body})");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>
    /// A round caught with at least its quorum of updates journaled but not all: the round after
    /// round 2 unless every update of it landed between two polls, then the next one.
    /// </summary>
    private async Task<(int Round, int Journaled)> MidRound(DurableCluster cluster, string projectId, ProjectSpec spec, int fromRound)
    {
        var quorum = spec.Training.MinFitClients;
        for (var round = fromRound; round < spec.Training.Rounds; round++)
        {
            var rows = await FaultScenario.WaitForJournal(cluster.ConnectionString, projectId, round, n => n >= quorum, TimeSpan.FromMinutes(2));
            if (rows >= quorum && rows < Devices)
            {
                return (round, rows);
            }

            output.WriteLine($"round {round} had {rows} of {Devices} updates journaled at the first look; trying the next round");
        }

        throw new InvalidOperationException($"no round of project {projectId} was caught with between {quorum} and {Devices - 1} updates journaled");
    }
}
