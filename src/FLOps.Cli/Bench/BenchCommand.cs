using System.CommandLine;

namespace FLOps.Cli.Bench;

/// <summary>
/// <c>flops bench</c>: quick benchmarks that print figures (BenchmarkDotNet, in
/// tests/FLOps.Benchmarks, holds the rigorous ones). Each subcommand is one factory in
/// <see cref="Subcommands"/>.
/// </summary>
public static class BenchCommand
{
    /// <summary>One factory per subcommand of <c>flops bench</c>.</summary>
    private static readonly Func<Command>[] Subcommands =
    [
        AggregateBenchCommand.Create,
        LearnersBenchCommand.Create,
        ScaleBenchCommand.Create,
        TransportBenchCommand.Create,
    ];

    public static Command Create()
    {
        var command = new Command("bench", "Quick benchmarks that print figures; --json makes the last line one JSON object");
        foreach (var create in Subcommands)
        {
            command.Subcommands.Add(create());
        }

        return command;
    }
}
