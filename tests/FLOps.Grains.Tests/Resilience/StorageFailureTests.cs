using FLOps.Hosting.Resilience;
using FLOps.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;

namespace FLOps.Grains.Tests.Resilience;

/// <summary>
/// How storage failures are told apart and carried: a grain call whose storage failed answers its caller, on another silo or a client, with the
/// database's error: the exception must survive Orleans' serializer (it used to arrive as "Could
/// not find a codec for type Npgsql.NpgsqlException").
/// </summary>
public sealed class StorageFailureTests
{
    [Fact]
    public void A_database_error_crosses_a_grain_boundary_with_its_type_and_message()
    {
        using var services = new ServiceCollection().AddSerializer().AddStorageExceptionSerialization().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var thrown = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111));

        var received = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(thrown));

        Assert.IsType<NpgsqlException>(received);
        Assert.Equal(thrown.Message, received.Message);
        Assert.True(StorageRetry.IsTransient(thrown));
    }

    [Fact]
    public void Without_the_npgsql_namespace_listed_the_serializer_cannot_carry_it()
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();

        Assert.ThrowsAny<Exception>(() => serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new NpgsqlException("down"))));
    }

    [Theory]
    [InlineData("57P01", true)] // terminating connection due to administrator command
    [InlineData("57P03", true)] // the database system is starting up
    [InlineData("42P01", false)] // undefined table: a missing schema waits for nobody
    [InlineData("23505", false)] // unique violation
    public void Shutdowns_and_refused_connections_are_retried_and_schema_or_data_errors_are_not(string sqlState, bool transient) =>
        Assert.Equal(transient, StorageRetry.IsTransient(new PostgresException("message", "FATAL", "FATAL", sqlState)));
}
