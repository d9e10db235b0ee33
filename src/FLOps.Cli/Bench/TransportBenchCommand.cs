using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Rounds;
using FLOps.Hosting;
using FLOps.Tls;
using Microsoft.Extensions.DependencyInjection;

namespace FLOps.Cli.Bench;

/// <summary>
/// <c>flops bench transport</c>: what mutual TLS costs the cluster's heaviest message. Two
/// clusters run side by side in this process, each a cloud silo and an edge silo on loopback TCP,
/// one plaintext and one with TLS. The edge silo sends real <see cref="DeviceUpdate"/>s of
/// <c>--parameters</c> floats to a round grain on the cloud silo, one at a time as a device
/// does; the two clusters take turns, and the best turn of each counts.
/// </summary>
public static class TransportBenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var parameters = new Option<int>("--parameters") { Description = "Floats per update", DefaultValueFactory = _ => 1_000_000 };
        var updates = new Option<int>("--updates") { Description = "Updates sent per turn", DefaultValueFactory = _ => 20 };
        var turns = new Option<int>("--turns") { Description = "Turns of each cluster after a warm-up; the best counts", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line of stdout" };
        var command = new Command("transport", "Update transfer edge silo -> cloud round grain, plaintext against mutual TLS, in one run")
        {
            parameters, updates, turns, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (d, n, t) = (parse.GetValue(parameters), parse.GetValue(updates), parse.GetValue(turns));
            if (d is < 1 or > 50_000_000 || n is < 1 or > 10_000 || t is < 1 or > 100)
            {
                throw new UsageException($"--parameters must be 1..50,000,000, --updates 1..10,000 and --turns 1..100 (got {d}, {n}, {t})");
            }

            return await RunAsync(d, n, t, parse.GetValue(json), Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(int parameters, int updates, int turns, bool json, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);

        // The figures are printed once both clusters are stopped: silos that stop may still log,
        // and --json promises that the result is the last line.
        var result = await MeasureAsync(parameters, updates, turns, cancellationToken);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{updates} updates of {parameters:N0} floats, edge silo -> cloud round grain over loopback TCP, best of {turns} turns, {result.Cores} cores"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"plaintext   {result.PlaintextSecondsPerUpdate * 1000,8:F1} ms per update  {result.PlaintextMBs,7:F0} MB/s"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"mutual TLS  {result.TlsSecondsPerUpdate * 1000,8:F1} ms per update  {result.TlsMBs,7:F0} MB/s  ({result.TlsRatio:F2} x plaintext time)"));
        if (json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(result, JsonOptions));
        }

        return ExitCodes.Success;
    }

    private static async Task<TransportBenchResult> MeasureAsync(int parameters, int updates, int turns, CancellationToken cancellationToken)
    {
        var certificates = Directory.CreateTempSubdirectory("flops-bench-tls-");
        try
        {
            ClusterCertificates.Create(certificates.FullName, ["127.0.0.1"]);
            using var tls = ClusterTls.Load(new TlsFiles(
                Path.Combine(certificates.FullName, "127.0.0.1.crt"),
                Path.Combine(certificates.FullName, "127.0.0.1.key"),
                Path.Combine(certificates.FullName, ClusterCertificates.AuthorityCertificateFile)));
            await using var plain = await EmbeddedCluster.StartAsync(["bench"], new EmbeddedSiloOptions(), cancellationToken);
            await using var secure = await EmbeddedCluster.StartAsync(["bench"], new EmbeddedSiloOptions { Tls = tls }, cancellationToken);

            var update = new DeviceUpdate
            {
                DeviceId = "bench/edge-device",
                Round = 1,
                TaskId = "bench-transport/1",
                Parameters = new([.. Enumerable.Range(0, parameters).Select(i => (float)Math.Sin(i))]),
                SampleCount = 1,
            };
            var bestPlain = TimeSpan.MaxValue;
            var bestTls = TimeSpan.MaxValue;
            for (var turn = 0; turn <= turns; turn++)
            {
                // Turn 0 warms both up (connections, code, the round's activation) and is not counted.
                var plainTime = await SendAsync(plain, update, updates);
                var tlsTime = await SendAsync(secure, update, updates);
                if (turn > 0)
                {
                    bestPlain = plainTime < bestPlain ? plainTime : bestPlain;
                    bestTls = tlsTime < bestTls ? tlsTime : bestTls;
                }
            }

            var megabytes = updates * (double)parameters * sizeof(float) / 1e6;
            return new TransportBenchResult(parameters, updates, turns, bestPlain.TotalSeconds / updates, bestTls.TotalSeconds / updates,
                megabytes / bestPlain.TotalSeconds, megabytes / bestTls.TotalSeconds, bestTls.TotalSeconds / bestPlain.TotalSeconds, Environment.ProcessorCount);
        }
        finally
        {
            certificates.Delete(recursive: true);
        }
    }

    /// <summary>Sends the update <paramref name="count"/> times, one after another, from the edge silo to the cloud round.</summary>
    private static async Task<TimeSpan> SendAsync(EmbeddedCluster cluster, DeviceUpdate update, int count)
    {
        var edge = cluster.Hosts[1].Services.GetRequiredService<IGrainFactory>();
        var round = edge.GetGrain<IRoundGrain>(update.TaskId);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            // The round has not started, so it refuses the update as late: the whole update still
            // crossed to the cloud silo and was read there, which is the part TLS touches.
            var receipt = await round.SubmitUpdate(update);
            if (receipt.Refusal != UpdateRefusal.Late)
            {
                throw new InvalidOperationException($"the bench round answered {receipt.Refusal}: {receipt.Reason}");
            }
        }

        return clock.Elapsed;
    }
}
