using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Grains.Rounds;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Faults;

/// <summary>
/// The project the fault tests disturb (the one of issue 17: simulated devices with a simulated
/// latency, on two durable silos), how long it may take to end once a fault is over, and what
/// its grains looked like when it did not.
/// </summary>
internal static class FaultScenario
{
    /// <summary>The reminder period of the silos <see cref="DurableCluster"/> starts (<c>--project-tick 2</c>).</summary>
    public static readonly TimeSpan ProjectTick = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long membership may take to write off a silo that stopped answering: 3 missed
    /// I-am-alive rows of 5 s each (probes of 2 s, 2 missed, usually decide sooner); see PostgresCluster.
    /// </summary>
    public static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Polling interval of every wait: conditions are polled, never slept on.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static ProjectSpec Spec(int rounds, int roundTimeoutSeconds, int devices = 6, double latencySeconds = 1.5, int? minFitClients = null) => new()
    {
        Name = "faults",
        DataTag = "mnist",
        Model = new ModelSpec { Kind = "softmax" },
        Strategy = new StrategySpec { Name = "fedavg" },
        Training = new TrainingSpec
        {
            Rounds = rounds,
            BatchSize = 16,
            LearningRate = 0.5,
            MinFitClients = minFitClients ?? devices / 2,
            MinAvailableClients = Math.Max(devices / 2, minFitClients ?? 0),
            RoundTimeoutSeconds = roundTimeoutSeconds,
        },
        Simulation = new SimulationSpec { Devices = devices, Partition = "iid", Seed = 17, LatencySeconds = latencySeconds },
    };

    /// <summary>
    /// How long after a fault ends a project may take to end: the disturbed round may run to its
    /// deadline and each round left may too; a project tick to notice, another to start the next
    /// round; and membership's time to write off a silo.
    /// </summary>
    public static TimeSpan EndBound(ProjectSpec spec, int roundsLeft) =>
        ((roundsLeft + 1) * TimeSpan.FromSeconds(spec.Training.RoundTimeoutSeconds)) + (2 * ProjectTick) + MembershipTimeout;

    /// <summary>The project's snapshot, ended (completed, failed or cancelled), within <paramref name="bound"/>; else a failure that shows its grains.</summary>
    public static Task<ProjectSnapshot> WaitForEnd(DurableCluster cluster, string projectId, TimeSpan bound) =>
        WaitFor(cluster, projectId, p => p.State.IsTerminal(), bound, "end");

    /// <summary>Polls the project (riding out calls that fail while a silo or the database is away) until the condition holds.</summary>
    public static async Task<ProjectSnapshot> WaitFor(DurableCluster cluster, string projectId, Func<ProjectSnapshot, bool> condition, TimeSpan bound, string what)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < bound)
        {
            try
            {
                var snapshot = await cluster.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot().WaitAsync(TimeSpan.FromSeconds(10));
                if (condition(snapshot))
                {
                    return snapshot;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }

            await Task.Delay(Poll);
        }

        throw new TimeoutException($"project {projectId} did not {what} within {bound.TotalSeconds:F0} s (last error: {last?.Message ?? "none"})\n{await Diagnose(cluster, projectId)}");
    }

    /// <summary>Polls the journal until <paramref name="condition"/> holds of the count of a round's rows.</summary>
    public static async Task<int> WaitForJournal(string connectionString, string projectId, int round, Func<int, bool> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var rows = (await ProjectInvariants.JournalRows(connectionString, projectId, round)).Count;
            if (condition(rows) || clock.Elapsed >= bound)
            {
                return rows;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>One recorded round in a line: how many made it in, who was left out and why.</summary>
    public static string Describe(ProjectSnapshot project, int round)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (project.Rounds.FirstOrDefault(r => r.Round == round) is not { } summary)
        {
            return $"round {round}: not recorded";
        }

        static string Short(string deviceId) => deviceId[(deviceId.LastIndexOf('/') + 1)..];
        return $"round {round}: {summary.Participants} of {summary.Selected}, resumed {summary.Resumptions}×, " +
            $"{summary.Seconds:F1} s; left out: {(summary.FailureCount == 0 ? "none" : string.Join("; ", summary.Failures.Select(f => $"{Short(f.DeviceId)}: {f.Reason}")))}";
    }

    /// <summary>A project ends completed, or failed with a reason; never cancelled or without one.</summary>
    public static void AssertEndedWithAReason(ProjectSnapshot ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        Assert.True(
            ended.State == ProjectState.Completed || (ended.State == ProjectState.Failed && !string.IsNullOrWhiteSpace(ended.Reason)),
            $"project {ended.Id} ended {ended.State} ({ended.Reason ?? "no reason"})");
    }

    /// <summary>The API key every gateway of the fault tests accepts.</summary>
    public const string ApiKey = "fault-tests-key";

    /// <summary>Starts <c>flops gateway</c> for the cluster on <paramref name="url"/> (again on the same one after a restart).</summary>
    public static Task<CommandProcess> StartGateway(DurableCluster cluster, string url)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return CommandProcess.StartAsync(
            ["gateway", "--postgres", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId, "--urls", url],
            "flops gateway: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = ApiKey });
    }

    /// <summary>Submits a project of registered devices over HTTP and returns its id.</summary>
    public static async Task<string> SubmitOverHttp(HttpClient http, int rounds, int devices, int roundTimeoutSeconds, int localEpochs = 1)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var created = await http.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "faults",
            dataTag = "mnist",
            model = new { kind = "softmax" },
            training = new { rounds, localEpochs, batchSize = 16, learningRate = 0.5, minFitClients = devices, minAvailableClients = devices, roundTimeoutSeconds },
        });
        created.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Writes what each process printed to <c>fault-logs/</c> beside the test assembly, and says where.</summary>
    public static void KeepLogs(ITestOutputHelper output, string name, params IEnumerable<CommandProcess>[] processes)
    {
        ArgumentNullException.ThrowIfNull(output);
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "fault-logs")).FullName;
        foreach (var (process, i) in processes.SelectMany(p => p).Select((p, i) => (p, i)))
        {
            File.WriteAllText(Path.Combine(directory, $"{name}-{i}.log"), process.Log);
        }

        output.WriteLine($"process logs: {directory}/{name}-*.log");
    }

    /// <summary>
    /// The project as its activation holds it and as storage holds it, the stored state of the
    /// rounds around the current one, their journal, and what the silos logged as warnings or errors.
    /// </summary>
    public static async Task<string> Diagnose(DurableCluster cluster, string projectId)
    {
        var text = new StringBuilder();
        var current = 0;
        try
        {
            var live = await cluster.Grains.GetGrain<IProjectGrain>(projectId).GetSnapshot().WaitAsync(TimeSpan.FromSeconds(10));
            current = live.CurrentRound;
            text.AppendLine($"project in memory: {live.State}, current round {live.CurrentRound}, {live.Rounds.Count} rounds recorded [{string.Join(",", live.Rounds.Select(r => r.Round))}], reason: {live.Reason ?? "-"}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            text.AppendLine($"project in memory: not reachable ({e.GetType().Name}: {e.Message})");
        }

        try
        {
            if (await cluster.StoredState<ProjectGrainState>("project", projectId) is var (stored, version))
            {
                current = Math.Max(current, stored.CurrentRound);
                text.AppendLine($"project stored (version {version}): {stored.State}, current round {stored.CurrentRound} attempt {stored.CurrentAttempt}, {stored.Rounds.Count} rounds recorded [{string.Join(",", stored.Rounds.Select(r => r.Round))}]");
            }

            for (var round = Math.Max(1, current - 2); round <= current + 1; round++)
            {
                var key = FLOps.Abstractions.Rounds.IRoundGrain.KeyFor(projectId, round);
                var journal = await ProjectInvariants.JournalRows(cluster.ConnectionString, projectId, round);
                text.Append($"round {key}: journal [{string.Join(",", journal.Select(r => r.DeviceId[(r.DeviceId.LastIndexOf('/') + 1)..]))}]");
                text.AppendLine(await cluster.StoredState<RoundGrainState>("round", key) is var (r, v)
                    ? $"; stored (version {v}): {r.Status}, {r.Participants.Count} participants, {r.Failures.Count} failures, deadline {r.Deadline:HH:mm:ss}, resumptions {r.Resumptions}, {r.FailureReason}"
                    : "; never stored");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            text.AppendLine($"stored state: not readable ({e.GetType().Name}: {e.Message})");
        }

        foreach (var (silo, i) in cluster.Silos.Select((s, i) => (s, i)))
        {
            var lines = silo.Log.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
            text.AppendLine($"--- silo {i} (port {silo.SiloPort}{(silo.HasExited ? ", exited" : "")}): {lines.Count} warnings and errors, the last 40:");
            foreach (var line in lines.TakeLast(40))
            {
                text.AppendLine(line.Length > 400 ? line[..400] + "…" : line);
            }
        }

        return text.ToString();
    }
}
