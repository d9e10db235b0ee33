using Npgsql;

namespace FLOps.Clustering;

/// <summary>Whether the cluster's database answers now: what a readiness check reports as "degraded" when it does not.</summary>
public sealed class DatabaseProbe(string connectionString)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary><c>null</c> when the database answered <c>SELECT 1</c> within a few seconds, else why not.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = (int)Timeout.TotalSeconds, Pooling = false };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(limit.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(limit.Token);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return e is OperationCanceledException && !cancellationToken.IsCancellationRequested ? $"no answer within {Timeout.TotalSeconds} s" : e.Message;
        }
    }
}
