using System.Diagnostics;
using System.Net.Http.Headers;
using FLOps.Abstractions.Projects;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Faults;

/// <summary>
/// Issue 17: the HTTP gateway (<c>flops gateway</c>, an Orleans client of the durable cluster)
/// crashes and is started again while real learners hold long polls and upload updates. The
/// learners carry on through the gap, and no update counts twice.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class GatewayRestartTests(FaultPostgresFixture postgres, ITestOutputHelper output)
{
    private const int Learners = 3;
    private const int Rounds = 6;
    private const int RoundTimeoutSeconds = 40;

    [Fact]
    public async Task A_gateway_killed_and_restarted_while_learners_long_poll_and_upload_loses_no_learner_and_applies_no_update_twice()
    {
        await using var cluster = new DurableCluster(postgres.ConnectionString);
        await cluster.StartSiloAsync();
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        var gateways = new List<CommandProcess> { await FaultScenario.StartGateway(cluster, url) };
        var learners = new List<CommandProcess>();
        string? projectId = null;
        try
        {
            for (var shard = 0; shard < Learners; shard++)
            {
                learners.Add(await CommandProcess.StartAsync(["learner", "--gateway", url, "--api-key", FaultScenario.ApiKey, "--data", $"mnist:shard={shard}/{Learners}"], "flops learner: registered"));
            }

            // Once while every learner waits in a long poll for its first task (there is no
            // project yet), then twice as a round's first update is journaled while the other
            // learners still train (3 local epochs) or upload.
            var downWhilePolling = await Restart(gateways, cluster, url);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FaultScenario.ApiKey);
            projectId = await FaultScenario.SubmitOverHttp(http, Rounds, Learners, RoundTimeoutSeconds, localEpochs: 3);
            var downInRound = new List<(int Round, int Journaled, TimeSpan Down)>();
            foreach (var round in new[] { 2, 4 })
            {
                var journaled = await FaultScenario.WaitForJournal(cluster.ConnectionString, projectId, round, rows => rows >= 1, TimeSpan.FromMinutes(2));
                downInRound.Add((round, journaled, await Restart(gateways, cluster, url)));
            }

            var clock = Stopwatch.StartNew();
            var recorded = (await cluster.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot()).Rounds.Count;
            var spec = FaultScenario.Spec(Rounds, RoundTimeoutSeconds);
            var bound = FaultScenario.EndBound(spec, roundsLeft: Rounds - recorded - 1);
            var next = await FaultScenario.WaitFor(cluster, projectId, p => p.Rounds.Count > recorded || p.State.IsTerminal(), bound, "record the round after the second restart");
            var toNext = clock.Elapsed;
            var ended = await FaultScenario.WaitForEnd(cluster, projectId, bound - toNext);
            output.WriteLine(
                $"gateway down {downWhilePolling.TotalSeconds:F1} s during the learners' first long polls, " +
                string.Join(", ", downInRound.Select(d => $"{d.Down.TotalSeconds:F1} s in round {d.Round} ({d.Journaled} of {Learners} updates journaled)")) + "; after the last restart: " +
                $"round {next.Rounds.Count} recorded in {toNext.TotalSeconds:F1} s, project {ended.State} in {clock.Elapsed.TotalSeconds:F1} s (bound {bound.TotalSeconds:F0} s)");
            foreach (var round in ended.Rounds)
            {
                output.WriteLine(FaultScenario.Describe(ended, round.Round));
            }

            Assert.True(ended.State == ProjectState.Completed, $"project {ended.State}: {ended.Reason}");

            // Every learner took part in every round, once: none was lost with the gateway and no
            // retried upload counted twice (ProjectInvariants holds each round to its journal).
            Assert.All(ended.Rounds, r => Assert.Equal(Learners, r.Participants));
            Assert.All(learners, l => Assert.False(l.HasExited, "a learner stopped:\n" + l.Log));
            await ProjectInvariants.AssertHold(cluster.ConnectionString, cluster.Grains, ended);
        }
        finally
        {
            FaultScenario.KeepLogs(output, projectId ?? "gateway-restart", cluster.Silos, gateways, learners);
            foreach (var process in learners.Concat(gateways))
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>Kills the running gateway as a crash would and starts another on the same URL; returns how long no gateway listened.</summary>
    private static async Task<TimeSpan> Restart(List<CommandProcess> gateways, DurableCluster cluster, string url)
    {
        var clock = Stopwatch.StartNew();
        gateways[^1].Kill();
        gateways.Add(await FaultScenario.StartGateway(cluster, url));
        return clock.Elapsed;
    }
}
