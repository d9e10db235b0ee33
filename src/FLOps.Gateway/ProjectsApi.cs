using System.Collections.Concurrent;
using System.Text.Json;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Projects;
using FLOps.Client;
using FLOps.Inference;
using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FLOps.Gateway;

public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjectsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(ServiceRoutes.Projects).WithTags("Projects").RequireTenantApiKey();
        group.MapPost("/", Submit).WithName("SubmitProject")
            .WithSummary("Submit a project: its spec (docs/spec.md lists every field, default and range)")
            .Accepts<ProjectSpec>("application/json")
            .WithRequestExample(new ProjectSpec { Name = "mnist", Simulation = new SimulationSpec { Devices = 10 } }).Produces<ProjectView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/", List).WithName("ListProjects").Produces<IReadOnlyList<ProjectView>>();
        group.MapGet("/{id}", Get).WithName("GetProject").Produces<ProjectView>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelProject").Produces<ProjectView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/model", Model).WithName("DownloadModel").Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/predict", Predict).WithName("Predict")
            .WithSummary("Score one sample with the project's latest model")
            .WithDescription("`features` holds the model's inputs in order; for MNIST data, 784 pixels scaled to 0..1, row by row.")
            .Accepts<PredictRequest>("application/json")
            .WithRequestExample(new PredictRequest(new float[FLOps.Learning.Data.Mnist.FeatureCount])).Produces<PredictResponse>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/{id}/events", Events).WithName("ProjectEvents").Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return group;
    }

    private static async Task<IResult> Submit(HttpContext context, IGrainFactory grains, IOptions<FlopsLimits> limits, CancellationToken cancellationToken)
    {
        var (spec, refusal) = await RequestBodies.ReadJsonAsync<ProjectSpec>(context.Request, cancellationToken, "Invalid project spec");
        if (refusal is not null)
        {
            return refusal;
        }

        var idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } key ? key : null;
        if (idempotencyKey?.Length > limits.Value.MaxIdempotencyKeyLength)
        {
            return Problems.BadRequest($"Idempotency-Key may be at most {limits.Value.MaxIdempotencyKeyLength} characters (got {idempotencyKey.Length})");
        }

        try
        {
            var snapshot = await ClientFor(context, grains).SubmitAsync(spec!, idempotencyKey);
            return Results.Created(ServiceRoutes.Project(snapshot.Id), ProjectViews.Of(snapshot));
        }
        catch (InvalidProjectSpecException e)
        {
            return Problems.Invalid(e.Errors.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray()));
        }
        catch (IdempotencyKeyReusedException e)
        {
            return Problems.Unprocessable(e.Message);
        }
        catch (TenantLimitException e)
        {
            return Problems.Forbidden(e.Message);
        }
    }

    private static async Task<IResult> List(HttpContext context, IGrainFactory grains) =>
        Results.Ok((await ClientFor(context, grains).ListAsync()).Select(ProjectViews.Of).ToList());

    private static async Task<IResult> Get(string id, HttpContext context, IGrainFactory grains) =>
        await Owned(id, context, grains) is { } project ? Results.Ok(ProjectViews.Of(await project.GetSnapshot())) : NotFound(id);

    private static async Task<IResult> Cancel(string id, HttpContext context, IGrainFactory grains) =>
        await Owned(id, context, grains) is { } project
            ? Results.Accepted(ServiceRoutes.Project(id), ProjectViews.Of(await project.Cancel("cancelled through the API")))
            : NotFound(id);

    private static async Task<IResult> Model(string id, HttpContext context, IGrainFactory grains)
    {
        if (await Owned(id, context, grains) is not { } project)
        {
            return NotFound(id);
        }

        var onnx = await project.ExportOnnx();
        return onnx is null
            ? Problems.Conflict($"project '{id}' has no model yet: wait for its first round")
            : Results.File(onnx, "application/octet-stream", "model.onnx");
    }

    private static async Task<IResult> Predict(string id, HttpContext context, IGrainFactory grains, ModelScorers scorers, CancellationToken cancellationToken)
    {
        if (await Owned(id, context, grains) is not { } project)
        {
            return NotFound(id);
        }

        var (request, refusal) = await RequestBodies.ReadJsonAsync<PredictRequest>(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var snapshot = await project.GetSnapshot();
        if (snapshot.Model.IsNone || snapshot.Rounds.Count == 0 || snapshot.Spec is null)
        {
            return Problems.Conflict($"project '{id}' has no model yet: wait for its first round");
        }

        var inputs = snapshot.Spec.Model.Inputs ?? 0;
        if (request!.Features is null || request.Features.Length != inputs)
        {
            return Problems.Unprocessable($"features must hold {inputs} numbers (got {request.Features?.Length ?? 0})");
        }

        var scorer = await scorers.For(snapshot, project);
        return scorer.Score(request.Features) switch
        {
            Scoring.Scored scored => Results.Ok(new PredictResponse(scored.Prediction.Label, scored.Prediction.Scores)),
            Scoring.FeatureNotFinite bad => Problems.Unprocessable(
                $"features[{bad.Index}] is {Number(bad.Value)}: every feature must be a finite number (JSON numbers beyond ±3.4e38, such as 1e39, read as infinity)"),
            Scoring.ScoresNotFinite overflow => Problems.Conflict(
                $"the model's scores are not finite for this input (class {overflow.Class} scores {Number(overflow.Value)}): the model of project '{id}' overflows on it, "
                + "from very large weights or features; send features on the scale of its training data"),
            var other => throw new InvalidOperationException($"unknown scoring outcome {other}"),
        };
    }

    private static string Number(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Server-sent events: one <c>progress</c> event per change, until the project ends.</summary>
    private static async Task Events(string id, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await Owned(id, context, grains) is null)
        {
            await NotFound(id).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        try
        {
            await foreach (var snapshot in ClientFor(context, grains).WatchAsync(id, cancellationToken))
            {
                await Send(context, snapshot, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task Send(HttpContext context, ProjectSnapshot snapshot, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync($"event: {ServiceRoutes.ProgressEvent}\ndata: {JsonSerializer.Serialize(ProjectViews.Of(snapshot), GatewayJson.Options)}\n\n", cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>The project if the caller's tenant owns it; another tenant's project is as good as absent.</summary>
    private static async Task<IProjectGrain?> Owned(string id, HttpContext context, IGrainFactory grains) =>
        await grains.GetGrain<ITenantGrain>(RequireApiKey.TenantOf(context)).Owns(id) ? grains.GetGrain<IProjectGrain>(id) : null;

    private static IResult NotFound(string id) => Problems.NotFound($"no project '{id}'");

    private static FlopsClient ClientFor(HttpContext context, IGrainFactory grains) => new(grains, RequireApiKey.TenantOf(context));
}

public sealed record PredictRequest(float[]? Features);

public sealed record PredictResponse(int Label, float[] Scores);

/// <summary>One ML.NET scorer per project, for its current model version.</summary>
public sealed class ModelScorers : IDisposable
{
    private readonly ConcurrentDictionary<string, (string Hash, OnnxModelScorer Scorer)> _byProject = new(StringComparer.Ordinal);

    public async Task<OnnxModelScorer> For(ProjectSnapshot snapshot, IProjectGrain project)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(project);
        if (_byProject.TryGetValue(snapshot.Id, out var cached) && cached.Hash == snapshot.Model.Hash)
        {
            return cached.Scorer;
        }

        var onnx = await project.ExportOnnx() ?? throw new InvalidOperationException("the model disappeared");
        var scorer = new OnnxModelScorer(onnx, snapshot.Spec!.Model.Inputs!.Value, snapshot.Spec.Model.Classes!.Value);

        // A replaced scorer is not disposed here: a request may still be scoring with it.
        _byProject[snapshot.Id] = (snapshot.Model.Hash, scorer);
        return scorer;
    }

    public void Dispose()
    {
        foreach (var (_, scorer) in _byProject.Values)
        {
            scorer.Dispose();
        }
    }
}
