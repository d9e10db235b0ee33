namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL, installed and started by the project's own <c>infra/postgres/up.sh</c>
/// (the same script users run), shared by every system test.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FLOps.Orleans.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync() =>
        ConnectionString = (await ExternalCommand.RunInfraScriptAsync("postgres/up.sh")).EnsureSuccess().LastLine;

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
