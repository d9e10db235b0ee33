using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.Cli.Service;
using FLOps.Protocol;

namespace FLOps.Cli.Bench;

/// <summary>
/// <c>flops bench learners</c>: N real HTTP learners in this process against one gateway (an
/// embedded <c>flops serve</c> unless <c>--gateway</c>), a tiny model (softmax 4×2, 10
/// parameters), R rounds over all of them: how long registering takes, how long a round takes,
/// and whether every update was accepted.
/// </summary>
public static class LearnersBenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Descriptors kept free for everything that is not a learner connection (the silo, its clients, files).</summary>
    private const long ReservedDescriptors = 1_024;

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Concurrent learners (N)", DefaultValueFactory = _ => 1_000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (R), each over all N learners", DefaultValueFactory = _ => 3 };
        var gateway = new Option<string?>("--gateway") { HelpName = "URL", Description = "A running gateway to use instead of starting one in this process (needs --api-key)" };
        var apiKey = new Option<string?>("--api-key") { HelpName = "KEY", Description = $"API key for --gateway (default: ${GatewayOptions.ApiKeyVariable})" };
        var wait = new Option<int>("--wait") { Description = "Seconds each long poll of tasks/next may wait (1 to 30)", DefaultValueFactory = _ => 20 };
        var connections = new Option<int>("--connections") { Description = "Most HTTP connections the learners share (default: one per learner, as far as the open-file limit allows)" };
        var registering = new Option<int>("--register-concurrency") { Description = "Registrations under way at once", DefaultValueFactory = _ => 64 };
        var timeout = new Option<int>("--round-timeout") { Description = "Seconds a round may take before it fails", DefaultValueFactory = _ => 300 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };
        var command = new Command("learners", "Register N real HTTP learners with a gateway and time R rounds over all of them")
        {
            count, rounds, gateway, apiKey, wait, connections, registering, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new LearnersBenchSettings(
                Count: parse.GetValue(count),
                Rounds: parse.GetValue(rounds),
                Gateway: parse.GetValue(gateway),
                ApiKey: parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(GatewayOptions.ApiKeyVariable),
                WaitSeconds: parse.GetValue(wait),
                Connections: parse.GetValue(connections),
                RegisterConcurrency: parse.GetValue(registering),
                RoundTimeoutSeconds: parse.GetValue(timeout));
            settings.Validate();
            return await RunAsync(settings, parse.GetValue(json), Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(LearnersBenchSettings settings, bool json, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        var fileLimit = FileDescriptorLimit.RaiseToHardLimit();
        await using var embedded = settings.Gateway is null ? await BenchGateway.StartAsync(cancellationToken) : null;
        var url = embedded?.Url ?? new Uri(settings.Gateway!);
        var apiKey = embedded?.ApiKey ?? settings.ApiKey!;
        var connections = ConnectionsFor(settings, fileLimit, sameProcess: embedded is not null);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromSeconds(settings.WaitSeconds + 120),
        };
        // The bench's own requests (submit, follow) on connections of their own, never queued behind the learners' long polls.
        using var operatorHttp = new HttpClient { BaseAddress = url };
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"FLOps bench learners: {settings.Count:N0} HTTP learners, {settings.Rounds} rounds, softmax 4×2, against {(embedded is null ? url.ToString() : $"an embedded gateway at {url}")}; {connections:N0} connections, open-file limit {fileLimit?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, {Environment.ProcessorCount} cores"));

        var tag = "bench-" + Guid.NewGuid().ToString("N")[..10];
        var callsBefore = embedded?.Calls.Snapshot();
        var busyBefore = embedded?.Calls.BusySeconds();
        var registering = Stopwatch.StartNew();
        var devices = new DeviceRegistration[settings.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, settings.Count),
            new ParallelOptions { MaxDegreeOfParallelism = settings.RegisterConcurrency, CancellationToken = cancellationToken },
            async (i, token) => devices[i] = await BenchLearner.RegisterAsync(http, apiKey, tag, i, token));
        registering.Stop();
        var registrationCalls = embedded is null ? (long?)null : Total(embedded.Calls.Snapshot()) - Total(callsBefore!);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"registered {settings.Count:N0} learners in {registering.Elapsed.TotalSeconds:F2} s ({settings.Count / registering.Elapsed.TotalSeconds:N0} per s{(registrationCalls is { } c ? $", {(double)c / settings.Count:F1} grain calls each" : "")})"));
        if (embedded is not null)
        {
            // Where registering spends its time (a grain's turns run one at a time, so a busy grain is a queue).
            await stdout.WriteLineAsync("seconds inside grain calls while registering: " + BusySince(embedded.Calls, busyBefore!));
        }

        var tally = new LearnerTally();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var learners = devices.Select(device => Task.Run(() => new BenchLearner(http, device, tally).RunAsync(settings.WaitSeconds, stop.Token), CancellationToken.None)).ToArray();
        ProjectView final;
        TimeSpan wall;
        long? roundCalls;
        double cpuPerRound;
        double? idleCallsPerSecond;
        try
        {
            var callsAtSubmit = embedded?.Calls.Snapshot();
            var busyAtSubmit = embedded?.Calls.BusySeconds();
            var cpuAtSubmit = Process.GetCurrentProcess().TotalProcessorTime;
            var running = Stopwatch.StartNew();
            var projectId = await Submit(operatorHttp, apiKey, SpecFor(settings, tag), cancellationToken);
            final = await Follow(operatorHttp, apiKey, projectId, TimeSpan.FromSeconds(((double)settings.RoundTimeoutSeconds * settings.Rounds) + 60), cancellationToken);
            wall = running.Elapsed;
            roundCalls = embedded is null ? null : Total(embedded.Calls.Snapshot()) - Total(callsAtSubmit!);
            cpuPerRound = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtSubmit).TotalSeconds / Math.Max(1, final.Rounds.Count);
            if (embedded is not null)
            {
                await stdout.WriteLineAsync("seconds inside grain calls during the rounds: " + BusySince(embedded.Calls, busyAtSubmit!));
            }

            idleCallsPerSecond = embedded is null ? null : await IdleCallsPerSecond(embedded.Calls, TimeSpan.FromSeconds(Math.Min(5, settings.WaitSeconds)), cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(learners);
        }

        await stdout.WriteLineAsync("round  participants  seconds");
        foreach (var round in final.Rounds)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{round.Round,5}  {round.Participants,12:N0}  {round.Seconds,7:F3}"));
        }

        var expected = (long)settings.Count * settings.Rounds;
        var allAccepted = final.State == ProjectStates.Completed && tally.Accepted == expected && tally.Refused == 0;
        var roundSeconds = Median(final.Rounds.Select(r => r.Seconds).ToList());
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"project {final.State}; median round {roundSeconds:F3} s, {wall.TotalSeconds / Math.Max(1, final.Rounds.Count):F3} s per round from submit to end, {cpuPerRound:F2} s of this process's CPU per round (learners included); {tally.Accepted:N0} of {expected:N0} updates accepted, {tally.Refused:N0} refused, {tally.Errors:N0} exchanges failed{(tally.LastError is { } e ? $" (last: {e})" : "")}"));
        if (roundCalls is { } calls && idleCallsPerSecond is { } idle)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"grain calls: {(double)calls / Math.Max(1, final.Rounds.Count):N0} per round; {idle:F1} per second while the {settings.Count:N0} learners wait idle"));
        }

        if (json)
        {
            var document = new
            {
                learners = settings.Count,
                rounds = final.Rounds.Count,
                registerSeconds = Math.Round(registering.Elapsed.TotalSeconds, 3),
                roundSeconds = Math.Round(roundSeconds, 3),
                wallSecondsPerRound = Math.Round(wall.TotalSeconds / Math.Max(1, final.Rounds.Count), 3),
                processCpuSecondsPerRound = Math.Round(cpuPerRound, 2),
                state = final.State,
                updatesExpected = expected,
                updatesAccepted = tally.Accepted,
                updatesRefused = tally.Refused,
                refusals = tally.Refusals,
                allAccepted,
                errors = tally.Errors,
                emptyPolls = tally.EmptyPolls,
                grainCallsPerRegistration = registrationCalls is { } r ? Math.Round((double)r / settings.Count, 2) : (double?)null,
                grainCallsPerRound = roundCalls is { } rc ? Math.Round((double)rc / Math.Max(1, final.Rounds.Count)) : (double?)null,
                idleGrainCallsPerSecond = idleCallsPerSecond is { } ic ? Math.Round(ic, 2) : (double?)null,
                connections,
                fileLimit,
                gateway = embedded is null ? url.ToString() : "embedded",
                cores = Environment.ProcessorCount,
                perRound = final.Rounds.Select(r => new { round = r.Round, participants = r.Participants, seconds = Math.Round(r.Seconds, 3) }),
            };
            await stdout.WriteLineAsync(JsonSerializer.Serialize(document, JsonOptions));
        }

        return final.State == ProjectStates.Completed ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>The project over the learners: all of them in every round, one local step of a 10-parameter model.</summary>
    public static object SpecFor(LearnersBenchSettings settings, string dataTag)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new
        {
            name = "bench-learners",
            dataTag,
            model = new { kind = "softmax", inputs = 4, classes = 2 },
            training = new
            {
                rounds = settings.Rounds,
                localEpochs = 1,
                minFitClients = settings.Count,
                minAvailableClients = settings.Count,
                fractionFit = 1.0,
                roundTimeoutSeconds = settings.RoundTimeoutSeconds,
            },
        };
    }

    /// <summary>One connection per learner when the open-file limit allows it; in one process with the gateway each costs two descriptors.</summary>
    private static int ConnectionsFor(LearnersBenchSettings settings, long? fileLimit, bool sameProcess)
    {
        if (settings.Connections > 0)
        {
            return settings.Connections;
        }

        if (fileLimit is not { } limit)
        {
            return settings.Count;
        }

        var affordable = (limit - ReservedDescriptors) / (sameProcess ? 2 : 1);
        return (int)Math.Clamp(affordable, 1, settings.Count);
    }

    private static async Task<string> Submit(HttpClient http, string apiKey, object spec, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ServiceRoutes.Projects) { Content = JsonContent.Create(spec, options: JsonOptions) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"submitting the project: {(int)response.StatusCode} {body}");
        }

        using var created = JsonDocument.Parse(body);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Asks for the project four times a second until it ends: one caller, so a negligible load beside the learners'.</summary>
    private static async Task<ProjectView> Follow(HttpClient http, string apiKey, string projectId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ServiceRoutes.Project(projectId));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var response = await http.SendAsync(request, deadline.Token);
            response.EnsureSuccessStatusCode();
            var project = (await response.Content.ReadFromJsonAsync<ProjectView>(JsonOptions, deadline.Token))!;
            if (ProjectStates.IsTerminal(project.State))
            {
                return project;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
        }
    }

    /// <summary>Grain calls per second over <paramref name="window"/> while every learner's long poll waits for a task that does not come.</summary>
    private static async Task<double> IdleCallsPerSecond(GrainCallCounter calls, TimeSpan window, CancellationToken cancellationToken)
    {
        var before = Total(calls.Snapshot());
        var watch = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken);
        return (Total(calls.Snapshot()) - before) / watch.Elapsed.TotalSeconds;
    }

    private static long Total(IReadOnlyDictionary<string, long> calls) => calls.Values.Sum();

    /// <summary>Seconds inside each grain method since <paramref name="before"/>, most first.</summary>
    private static string BusySince(GrainCallCounter calls, IReadOnlyDictionary<string, double> before) =>
        string.Join(", ", calls.BusySeconds()
            .Select(p => (Method: p.Key[(p.Key.LastIndexOf('.', p.Key.LastIndexOf('.') - 1) + 1)..], Seconds: p.Value - before.GetValueOrDefault(p.Key)))
            .Where(p => p.Seconds >= 0.01)
            .OrderByDescending(p => p.Seconds)
            .Take(8)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Method} {p.Seconds:F2}")));

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
