using System.Globalization;
using System.Net;
using Npgsql;

namespace FLOps.Storage;

/// <summary>A connection string or database that cannot be used, said in one line for the operator.</summary>
public sealed class DatabaseUnavailableException : Exception
{
    public DatabaseUnavailableException()
    {
    }

    public DatabaseUnavailableException(string message)
        : base(message)
    {
    }

    public DatabaseUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the connection string itself is malformed (a usage error, not a run-time one).</summary>
    public bool IsMalformed { get; init; }
}

public static class PostgresDatabase
{
    public const int SchemaVersion = 1;

    /// <summary>What a connection string looks like, shown when one is malformed (infra/postgres/up.sh prints one).</summary>
    public const string Example = "Host=127.0.0.1;Port=5432;Database=flops;Username=flops;Password=flops";

    private static readonly string[] RequiredComponents = ["orleans-main", "orleans-clustering", "orleans-persistence", "orleans-reminders", "flops"];

    /// <summary>Parses the connection string; throws <see cref="DatabaseUnavailableException"/> naming what is wrong.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("it names no Host");
            }

            // Npgsql takes any integer here and fails only when it connects, with an unhandled
            // ArgumentOutOfRangeException from IPEndPoint.
            if (builder.Port is < 1 or > IPEndPoint.MaxPort)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Port must be between 1 and {IPEndPoint.MaxPort} (got {builder.Port})"));
            }

            return builder;
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or FormatException or InvalidCastException or OverflowException or InvalidOperationException)
        {
            // Npgsql's builder throws more than ArgumentException on malformed text ("garbage;;=": an
            // empty keyword is a KeyNotFoundException); every one of them is the caller's mistake.
            // The base builder's "Format of the initialization string does not conform to specification"
            // says the same as the general reason, in .NET's words.
            var reason = e is ArgumentException { Message: var message } && !string.IsNullOrWhiteSpace(message)
                && !message.StartsWith("Format of the initialization string", StringComparison.Ordinal)
                ? message
                : "it is not a list of Keyword=value pairs separated by ';'";
            throw new DatabaseUnavailableException($"invalid --postgres connection string: {reason} (e.g. {Example})", e) { IsMalformed = true };
        }
    }

    /// <summary>
    /// Connects once and checks that <c>infra/postgres/up.sh</c> applied the schema, so that a
    /// silo refuses to start with one clear line instead of failing later inside Orleans.
    /// </summary>
    public static async Task EnsureReadyAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = Parse(connectionString);
        var where = $"PostgreSQL at {builder.Host}:{builder.Port}, database '{builder.Database}'";
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT component FROM flops_schema WHERE version >= $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = SchemaVersion });
            var present = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(timeout.Token))
            {
                while (await reader.ReadAsync(timeout.Token))
                {
                    present.Add(reader.GetString(0));
                }
            }

            var missing = RequiredComponents.Where(c => !present.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                throw new DatabaseUnavailableException($"{where} lacks schema parts {string.Join(", ", missing)}: run infra/postgres/up.sh");
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new DatabaseUnavailableException($"{where} has no FLOps schema: run infra/postgres/up.sh", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new DatabaseUnavailableException($"{where} does not exist: run infra/postgres/up.sh", e);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw new DatabaseUnavailableException($"{where} refused user '{builder.Username}': {e.MessageText}", e);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new DatabaseUnavailableException($"cannot reach {where}: {e.GetBaseException().Message}; is it running? run infra/postgres/up.sh (it prints the connection string)", e);
        }
    }
}
