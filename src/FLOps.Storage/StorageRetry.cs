using System.Net.Sockets;
using FLOps.Grains.Telemetry;
using Npgsql;
using Polly;
using Polly.Retry;

namespace FLOps.Storage;

/// <summary>
/// How every storage call rides out a database that is away for a while: transient failures
/// (connection refused or cut, the server shutting down, timeouts) are retried with exponential
/// back-off for about 25 s; a permanent one (a missing table, a constraint) fails at once. Every
/// failed attempt is counted in <c>flops_storage_errors_total{operation}</c>.
/// </summary>
public static class StorageRetry
{
    public const int MaxRetryAttempts = 6;

    /// <summary>Whether the exception, or one it wraps (Orleans' storage providers wrap the driver's), is a transient database failure.</summary>
    public static bool IsTransient(Exception? exception) => exception switch
    {
        null => false,
        NpgsqlException { IsTransient: true } => true,

        // The server shutting down or restarting (57P01 admin shutdown, 57P02 crash shutdown,
        // 57P03 cannot connect now): the next connection goes to a server that is back.
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" } => true,
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => true,
        TimeoutException or SocketException => true,
        _ => IsTransient(exception.InnerException),
    };

    /// <summary>The pipeline for one kind of operation (its name labels the errors it counts).</summary>
    public static ResiliencePipeline For(string operation) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(8),
            UseJitter = true,
            OnRetry = _ =>
            {
                FlopsMetrics.StorageFailed(operation);
                return default;
            },
        })
        .Build();

    /// <summary>Runs <paramref name="call"/> through <paramref name="pipeline"/>; the last failure, when it gives up, is counted too.</summary>
    public static async ValueTask<T> RunAsync<T>(this ResiliencePipeline pipeline, string operation, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        try
        {
            return await pipeline.ExecuteAsync(call, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            FlopsMetrics.StorageFailed(operation);
            throw;
        }
    }
}
