using System.Diagnostics;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Projects;
using FLOps.Hosting.Resilience;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Faults;

/// <summary>
/// Issue 17: a silo freezes (SIGSTOP) for longer than membership waits for a silo, then runs
/// again (SIGCONT) as if nothing happened. The cluster must write it off, move its grains and
/// finish the project; the silo, once it runs, must step down rather than serve copies of grains
/// that now live elsewhere.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class PausedSiloTests(FaultPostgresFixture postgres, ITestOutputHelper output)
{
    private const int Devices = 6;

    /// <summary>Longer than membership takes to declare a silo dead (<see cref="FaultScenario.MembershipTimeout"/>).</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(40);

    /// <summary>
    /// A silo written off while it was paused learns it at its next full read of the membership
    /// table, every <c>ClusterMembershipOptions.TableRefreshTimeout</c> (Orleans' default of 60 s;
    /// PostgresCluster does not change it), and then stops its process.
    /// </summary>
    private static readonly TimeSpan StepDownBound = TimeSpan.FromSeconds(60) + FaultScenario.MembershipTimeout;

    /// <summary>
    /// The paused silo holds at least half of the devices and the round runs on the other one,
    /// which alone cannot reach the quorum of 4: the round must get the frozen devices' work
    /// done elsewhere. Each device answers 0.7 to 4 s after its task, so the pause falls before
    /// the paused silo's devices report. (Should no round open on the other silo before the
    /// last, 1 in 32, the silo is paused under a round of its own, which must then move.)
    /// </summary>
    [Fact]
    public async Task A_silo_paused_40_s_with_most_devices_of_a_running_round_is_declared_dead_its_grains_move_it_steps_down_once_resumed_and_the_project_completes()
    {
        var spec = FaultScenario.Spec(rounds: 7, roundTimeoutSeconds: 40, Devices, latencySeconds: 4, minFitClients: 4);
        var projectId = "paused-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = new DurableCluster(postgres.ConnectionString);
        await cluster.StartSilosAsync(2);
        var project = cluster.Grains.GetGrain<IProjectGrain>(projectId);
        await project.Submit(spec, "fault-tests");
        try
        {
            var devices = Enumerable.Range(0, Devices).Select(i => cluster.Grains.GetGrain<IDeviceGrain>(ProjectGrain.SimulatedDeviceId(projectId, i))).ToList();
            await FaultScenario.WaitFor(cluster, projectId, p => p.Rounds.Count >= 1, TimeSpan.FromMinutes(2), "record round 1");
            var hosts = new List<CommandProcess?>();
            foreach (var device in devices)
            {
                hosts.Add(await cluster.HostOf(device));
            }

            var paused = cluster.Silos.MaxBy(s => hosts.Count(h => h == s))!;
            var other = cluster.Silos.Single(s => s != paused);
            var (round, roundHost) = await RoundOpenOn(cluster, projectId, other, spec);

            await paused.PauseAsync();
            var clock = Stopwatch.StartNew();
            var roundsLeft = spec.Training.Rounds - round;
            var recorded = Timed(FaultScenario.WaitFor(cluster, projectId, p => p.Rounds.Count >= round || p.State.IsTerminal(), Pause + FaultScenario.EndBound(spec, roundsLeft: 0), $"record round {round} without its paused silo"), clock);
            (bool Dead, TimeSpan At) declared;
            try
            {
                // The fault lasts Pause whatever happens; meanwhile membership is watched.
                var fault = Task.Delay(Pause);
                declared = await Timed(UntilDead(cluster, paused, Pause), clock);
                await fault;
            }
            finally
            {
                await paused.ResumeAsync();
            }

            var resumed = Stopwatch.StartNew();
            var bound = FaultScenario.EndBound(spec, roundsLeft);
            var end = FaultScenario.WaitForEnd(cluster, projectId, bound);
            var (exitCode, steppedDown) = await Timed(paused.ExitCodeWithin(StepDownBound), resumed);
            var ended = await end;
            var (atRecord, toRecord) = await recorded;
            output.WriteLine(
                $"silo paused {Pause.TotalSeconds:F0} s in round {round} (it held {hosts.Count(h => h == paused)} of {Devices} devices; the round ran on {(roundHost == paused ? "it" : "the other silo")}): " +
                $"{(declared.Dead ? $"declared dead after {declared.At.TotalSeconds:F1} s" : "not declared dead while paused")}, round {round} {(atRecord.Rounds.Count >= round ? "recorded" : "not recorded")} {toRecord.TotalSeconds:F1} s after the pause began; " +
                $"resumed: {(exitCode is { } code ? $"exited with {code} after {steppedDown.TotalSeconds:F1} s" : "still running")}; project {ended.State} {resumed.Elapsed.TotalSeconds:F1} s after the resume (bound {bound.TotalSeconds:F0} s)");

            output.WriteLine(FaultScenario.Describe(ended, round));
            Assert.True(declared.Dead, "membership did not declare the paused silo dead while it was paused");
            Assert.True(exitCode is not null, $"the silo written off while paused still ran {steppedDown.TotalSeconds:F0} s after it resumed");
            // A supervisor restarts a silo that exits non-zero; the log says why in one line.
            Assert.Equal(ExitWhenDeclaredDead.ExitCode, exitCode);
            Assert.Contains("the cluster declared this silo dead", paused.Log, StringComparison.Ordinal);
            Assert.True(ended.State == ProjectState.Completed, $"project {ended.State}: {ended.Reason}");
            Assert.Same(other, await cluster.HostOf(project));
            await ProjectInvariants.AssertHold(cluster.ConnectionString, cluster.Grains, ended);
        }
        finally
        {
            FaultScenario.KeepLogs(output, projectId, cluster.Silos);
        }
    }

    /// <summary>
    /// The first round from round 2 on that opens on <paramref name="silo"/>, caught before any of
    /// its updates is journaled; failing that, the last but one, wherever it opens.
    /// </summary>
    private async Task<(int Round, CommandProcess? Host)> RoundOpenOn(DurableCluster cluster, string projectId, CommandProcess silo, ProjectSpec spec)
    {
        var project = cluster.Grains.GetGrain<IProjectGrain>(projectId);
        var looked = 1;
        while (true)
        {
            var snapshot = await project.GetSnapshot();
            if (snapshot.State.IsTerminal())
            {
                throw new InvalidOperationException($"project {projectId} ended {snapshot.State} before the silo was paused: {snapshot.Reason}");
            }

            var round = snapshot.CurrentRound;
            if (round > looked && snapshot.Rounds.Count == round - 1)
            {
                looked = round;
                var host = await cluster.HostOf(cluster.Grains.GetGrain<IRoundGrain>(IRoundGrain.KeyFor(projectId, round)));
                var journaled = (await ProjectInvariants.JournalRows(cluster.ConnectionString, projectId, round)).Count;
                output.WriteLine($"round {round} opened on the silo at port {host?.SiloPort}, {journaled} updates journaled when seen");
                if ((host == silo || round == spec.Training.Rounds - 1) && journaled == 0)
                {
                    return (round, host);
                }

                if (round >= spec.Training.Rounds - 1)
                {
                    throw new InvalidOperationException($"round {round} of project {projectId} was past its first update before it was seen");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    private static async Task<(T Result, TimeSpan At)> Timed<T>(Task<T> task, Stopwatch clock) => (await task, clock.Elapsed);

    /// <summary>Polls the membership table until it holds the silo dead; false if it does not within <paramref name="limit"/>.</summary>
    private static async Task<bool> UntilDead(DurableCluster cluster, CommandProcess silo, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (await cluster.MembershipStatus(silo) == SiloStatus.Dead)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        return false;
    }
}
