using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

/// <summary>
/// Issue 19: a silo of a durable cluster starts without warnings (Orleans' watchdog race and the
/// reminder period it calls too short are not news), and a silo killed while the others run is one
/// connection-error line in each of them, not screens of ConnectionRefused stack traces.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QuietSiloLogsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Silos_start_quietly_and_a_killed_peers_connection_errors_are_one_line_without_stack_traces_in_each_other_silo()
    {
        var clusterId = "quiet-" + Guid.NewGuid().ToString("N")[..8];
        await using var first = await CommandProcess.StartAsync(postgres.ConnectionString, clusterId);
        await using var second = await CommandProcess.StartAsync(postgres.ConnectionString, clusterId);
        Assert.Empty(Warnings(first));
        Assert.Empty(Warnings(second));

        first.Kill();
        // A silo that joins now has to wait until membership writes the dead one off: by the time it
        // is ready, every silo has tried (and failed) to reach the dead one for a while.
        await using var third = await CommandProcess.StartAsync(postgres.ConnectionString, clusterId);

        // Orleans also says, once each, what the dead silo means for its own work (a directory
        // partition it cannot hand over, say): one line each is news. What must not come back is
        // the connection errors, repeated and with their stack traces.
        foreach (var survivor in new[] { second, third })
        {
            var unreachable = Warnings(survivor).Where(line => line.Contains("a peer is unreachable", StringComparison.Ordinal)).ToList();
            Assert.True(unreachable.Count <= 1, "more than one line about the dead peer's connections:\n" + string.Join('\n', unreachable));
            Assert.DoesNotContain(" at Orleans.", survivor.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(" at System.Net.Sockets", survivor.Log, StringComparison.Ordinal);
        }
    }

    private static List<string> Warnings(CommandProcess silo) =>
        silo.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            .ToList();
}
