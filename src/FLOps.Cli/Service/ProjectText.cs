using System.Globalization;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.Cli.Service;

/// <summary>How the command line shows projects and rounds (<c>flops demo</c>, <c>submit</c>, <c>projects</c>).</summary>
public static class ProjectText
{
    /// <summary>camelCase, nulls written: what <c>--json</c> prints.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One line a round (a cycle in hierarchical mode, with each edge cluster's part).</summary>
    public static string RoundLine(RoundView round, int totalRounds)
    {
        ArgumentNullException.ThrowIfNull(round);
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{(round.Clusters is null ? "round" : "cycle")} {round.Round}/{totalRounds}  participants {round.Participants}/{round.Selected}  accuracy {Number(round.Accuracy)}  loss {Number(round.Loss)}  {round.Seconds:F2} s");
        if (round.Clusters is not { } clusters)
        {
            return line;
        }

        return $"{line}  [{string.Join(", ", clusters.Select(c => c.Included
            ? string.Create(CultureInfo.InvariantCulture, $"{c.Cluster} {c.InnerRounds.Count} inner rounds, {c.SampleCount} samples, last inner accuracy {Number(c.InnerRounds.Count == 0 ? null : c.InnerRounds[^1].Accuracy)}")
            : $"{c.Cluster} dropped ({c.Reason})"))}]";
    }

    /// <summary>A loss or accuracy to four places; <c>-</c> where there is none (no held-out set, or not a finite number).</summary>
    public static string Number(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    /// <summary>The accuracy of the project's last round, if it has one.</summary>
    public static double? LastAccuracy(ProjectView project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.Rounds.Count == 0 ? null : project.Rounds[^1].Accuracy;
    }

    /// <summary><c>3/10</c>: the round in progress (or the last one) of all.</summary>
    public static string Progress(ProjectView project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return string.Create(CultureInfo.InvariantCulture, $"{project.CurrentRound}/{project.TotalRounds}");
    }

    /// <summary>The project's end in one line: its state, rounds, last accuracy and, unless it completed, the reason.</summary>
    public static string Outcome(ProjectView project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var line = string.Create(CultureInfo.InvariantCulture, $"project {project.Id} {project.State} after {project.Rounds.Count} of {project.TotalRounds} rounds, accuracy {Number(LastAccuracy(project))}");
        return project.Reason is { Length: > 0 } reason && project.State != ProjectStates.Completed ? $"{line}: {GatewayText.OneLine(reason)}" : line;
    }
}
