using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FLOps.Protocol;
using FLOps.ServiceClient;
using Spectre.Console;

namespace FLOps.Cli.Service;

/// <summary><c>flops projects list|show ID|cancel ID|download ID</c>: the caller's projects on a gateway.</summary>
public static class ProjectsCommand
{
    private const int PipeWidth = 240;

    public static Command Create() => new("projects", "The projects of your API key on a gateway: list, show, cancel, download their models")
    {
        List(),
        Show(),
        Cancel(),
        Download(),
    };

    private static Command List()
    {
        var json = JsonOption("Print the projects as one JSON array on stdout");
        return WithGateway(new Command("list", "Your projects: id, name, state, round, last accuracy") { json }, async (parse, client, cancellationToken) =>
        {
            var projects = await client.ListAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(projects, ProjectText.Json));
                return ExitCodes.Success;
            }

            if (projects.Count == 0)
            {
                await Console.Out.WriteLineAsync("no projects");
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn(new TableColumn("Id").NoWrap())
                .AddColumn("Name")
                .AddColumn(new TableColumn("State").NoWrap())
                .AddColumn(new TableColumn("Round").RightAligned().NoWrap())
                .AddColumn(new TableColumn("Accuracy").RightAligned().NoWrap())
                .AddColumn(new TableColumn("Created (UTC)").NoWrap());
            foreach (var project in projects.OrderBy(p => p.CreatedAt))
            {
                table.AddRow(
                    Markup.Escape(project.Id),
                    Markup.Escape(GatewayText.OneLine(project.Name)),
                    Markup.Escape(project.State),
                    ProjectText.Progress(project),
                    ProjectText.Number(ProjectText.LastAccuracy(project)),
                    Markup.Escape(project.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-"));
            }

            Write(table);
            return ExitCodes.Success;
        });
    }

    private static Command Show()
    {
        var id = IdArgument();
        var json = JsonOption("Print the project as one JSON object on stdout");
        return WithGateway(new Command("show", "One project: its state and a table of its rounds") { id, json }, async (parse, client, cancellationToken) =>
        {
            var project = await client.GetAsync(parse.GetValue(id)!, cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(project, ProjectText.Json));
                return ExitCodes.Success;
            }

            var facts = new Grid().AddColumn().AddColumn();
            foreach (var (name, value) in Facts(project))
            {
                facts.AddRow(new Text(name), new Text(value));
            }

            Write(facts);
            if (project.Rounds.Count > 0)
            {
                var rounds = ProgressDisplay.RoundsTable();
                ProgressDisplay.AddRounds(rounds, project.Rounds);
                Write(rounds);
            }

            return ExitCodes.Success;
        });
    }

    private static Command Cancel()
    {
        var id = IdArgument();
        var json = JsonOption("Print the project as the cancellation left it, as one JSON object on stdout");
        return WithGateway(new Command("cancel", "Stop a project: its rounds end and it is Cancelled (one that has ended stays as it is)") { id, json }, async (parse, client, cancellationToken) =>
        {
            var project = await client.CancelAsync(parse.GetValue(id)!, cancellationToken);
            await Console.Out.WriteLineAsync(parse.GetValue(json) ? JsonSerializer.Serialize(project, ProjectText.Json) : $"project {project.Id} {project.State}");
            return ExitCodes.Success;
        });
    }

    private static Command Download()
    {
        var id = IdArgument();
        var output = new Option<string>("--out") { HelpName = "DIR", Description = "Folder to write <id>.onnx to", DefaultValueFactory = _ => "." };
        return WithGateway(new Command("download", "Download a project's current model as DIR/<id>.onnx (the last round's model; exits 1 while it has none)") { id, output }, async (parse, client, cancellationToken) =>
        {
            var directory = ModelFiles.EnsureDirectory(parse.GetValue(output)!);
            await Console.Out.WriteLineAsync(await ModelFiles.DownloadAsync(client, parse.GetValue(id)!, directory, cancellationToken));
            return ExitCodes.Success;
        });
    }

    private static IEnumerable<(string Name, string Value)> Facts(ProjectView project)
    {
        yield return ("id", project.Id);
        yield return ("name", GatewayText.OneLine(project.Name));
        yield return ("state", project.State);
        if (project.Reason is { Length: > 0 } reason)
        {
            yield return ("reason", GatewayText.OneLine(reason));
        }

        yield return ("mode", project.Mode);
        yield return (project.Mode == "hierarchical" ? "cycle" : "round", ProjectText.Progress(project));
        yield return ("accuracy", ProjectText.Number(ProjectText.LastAccuracy(project)));
        yield return ("created", project.CreatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
        yield return ("finished", project.FinishedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
        yield return ("model", project.ModelHash ?? "none yet");
    }

    /// <summary>Writes a table to stdout: as wide as a terminal is, and in a pipe (80 columns to Spectre) as wide as its content wants.</summary>
    private static void Write(Spectre.Console.Rendering.IRenderable renderable)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = PipeWidth;
        }

        AnsiConsole.Write(renderable);
    }

    private static Argument<string> IdArgument()
    {
        var id = new Argument<string>("ID") { Description = "The project's id (flops projects list shows them)" };
        id.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("ID: a project id is required (flops projects list shows them)");
            }
        });
        return id;
    }

    private static Option<bool> JsonOption(string description) => new("--json") { Description = description };

    /// <summary>Adds the gateway options to <paramref name="command"/> and runs <paramref name="action"/> with a client of that gateway.</summary>
    private static Command WithGateway(Command command, Func<ParseResult, FlopsServiceClient, CancellationToken, Task<int>> action)
    {
        var gateway = new GatewayOptions();
        gateway.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = gateway.Connect(parse);
            return await action(parse, client, cancellationToken);
        });
        return command;
    }
}
