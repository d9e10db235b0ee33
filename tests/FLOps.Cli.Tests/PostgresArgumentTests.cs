namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19: every <c>--postgres</c> string that is not a connection string is a usage error (exit
/// code 2, one line naming <c>--postgres</c>), whichever verb takes it and however it is broken; a
/// well-formed one whose database does not answer is a run-time failure (exit code 1) whose one
/// line names the database and says how to start one.
/// </summary>
public sealed class PostgresArgumentTests
{
    private const string NoDatabase = "Host=127.0.0.1;Port=1;Database=nowhere;Username=x;Password=x";

    public static TheoryData<string, string> MalformedStrings => new()
    {
        { "silo", "garbage;;=" },
        { "silo", "garbage" },
        { "silo", "=;" },
        { "silo", ";;;" },
        { "silo", "Host=127.0.0.1;Port=abc" },
        { "silo", "Host=127.0.0.1;Frobnicate=1" },
        { "silo", "Hots=nowhere" },
        { "silo", "Host=" },
        { "silo", "=x" },
        { "silo", "Port=abc" },
        { "silo", "Host=127.0.0.1;Port=99999" },
        { "silo", "Host=127.0.0.1;Port=0" },
        { "serve", "garbage;;=" },
        { "gateway", "garbage;;=" },
        { "demo", "garbage;;=" },
    };

    [Theory]
    [MemberData(nameof(MalformedStrings))]
    public async Task A_malformed_connection_string_exits_2_with_one_line_naming_postgres(string verb, string connectionString)
    {
        var run = await FlopsProcess.RunAsync(verb, "--postgres", connectionString);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("flops: invalid --postgres connection string: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.DoesNotContain("initialization string", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("silo")]
    [InlineData("gateway")]
    public async Task An_unreachable_database_exits_1_with_one_line_naming_it_and_up_sh(string verb)
    {
        var run = await FlopsProcess.RunAsync(verb, "--postgres", NoDatabase);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.Contains("'nowhere'", line, StringComparison.Ordinal);
        Assert.Contains("run infra/postgres/up.sh", line, StringComparison.Ordinal);
    }
}
