using FLOps.Protocol;
using Spectre.Console;

namespace FLOps.Cli.Service;

/// <summary>How <c>flops submit</c> shows a project while it waits for its end.</summary>
public enum ProgressStyle
{
    /// <summary>Nothing until the end.</summary>
    Quiet,

    /// <summary>A line a round and a line a change of state: for a pipe, a log, a script.</summary>
    Lines,

    /// <summary>A Spectre live table of the rounds under the project's state: for a terminal.</summary>
    Live,
}

public static class ProgressDisplay
{
    /// <summary><see cref="ProgressStyle.Live"/> for a terminal, <see cref="ProgressStyle.Lines"/> when stdout is redirected or must end in JSON.</summary>
    public static ProgressStyle For(bool watch, bool json) =>
        !watch ? ProgressStyle.Quiet
        : json || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive ? ProgressStyle.Lines
        : ProgressStyle.Live;

    /// <summary>Shows each state of the project as it comes; returns the last (the end, unless the stream broke off).</summary>
    public static async Task<ProjectView> FollowAsync(IAsyncEnumerable<ProjectView> progress, ProgressStyle style, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(stdout);
        ProjectView? last = null;
        switch (style)
        {
            case ProgressStyle.Quiet:
                await foreach (var project in progress)
                {
                    last = project;
                }

                break;
            case ProgressStyle.Lines:
                await foreach (var project in progress)
                {
                    foreach (var round in project.Rounds.Skip(last?.Rounds.Count ?? 0))
                    {
                        await stdout.WriteLineAsync(ProjectText.RoundLine(round, project.TotalRounds));
                    }

                    // The end has a line of its own (ProjectText.Outcome).
                    if ((last is null || last.State != project.State) && !ProjectStates.IsTerminal(project.State))
                    {
                        await stdout.WriteLineAsync($"project {project.Id} {project.State}");
                    }

                    last = project;
                }

                break;
            default:
                var table = RoundsTable();
                await AnsiConsole.Live(table)
                    .AutoClear(false)
                    .Overflow(VerticalOverflow.Ellipsis)
                    .Cropping(VerticalOverflowCropping.Top)
                    .StartAsync(async context =>
                    {
                        await foreach (var project in progress)
                        {
                            AddRounds(table, project.Rounds.Skip(last?.Rounds.Count ?? 0));
                            table.Title = new TableTitle(Markup.Escape($"project {project.Id}: {project.State}, round {ProjectText.Progress(project)}"));
                            context.Refresh();
                            last = project;
                        }
                    });
                break;
        }

        return last ?? throw new InvalidOperationException("the events stream ended before it said anything");
    }

    /// <summary>A table of rounds: number, participants of selected, accuracy, loss, seconds.</summary>
    public static Table RoundsTable() => new Table()
        .Border(TableBorder.Rounded)
        .AddColumn("Round")
        .AddColumn(new TableColumn("Participants").RightAligned())
        .AddColumn(new TableColumn("Accuracy").RightAligned())
        .AddColumn(new TableColumn("Loss").RightAligned())
        .AddColumn(new TableColumn("Seconds").RightAligned());

    public static void AddRounds(Table table, IEnumerable<RoundView> rounds)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rounds);
        foreach (var round in rounds)
        {
            table.AddRow(
                Markup.Escape(round.Round.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Markup.Escape($"{round.Participants}/{round.Selected}"),
                ProjectText.Number(round.Accuracy),
                ProjectText.Number(round.Loss),
                round.Seconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
