using System.Runtime.InteropServices;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Rounds;
using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Orleans.Concurrency;

namespace FLOps.Gateway;

/// <summary>
/// What a learner agent calls (see <see cref="LearnerRoutes"/>), authenticated by its device token:
/// fetch a pending task, download its global model, upload the trained parameters for that task,
/// or decline it. The token is checked before any grain is called; the update's content is checked
/// by the device grain, which knows the task's bounds and counts what it refuses.
/// </summary>
public static class DeviceTasksApi
{
    private const int MaxDeviceIdLength = 200;

    public static RouteGroupBuilder MapDeviceTasksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices/{id}").WithTags("Learner agents").DocumentSecurity(OpenApiSecurity.DeviceToken);
        group.MapGet("/tasks/next", NextTask).WithName("NextTask")
            .WithSummary("Long-poll for the device's next task")
            .WithDescription("Holds the request until a task is pending or `wait` seconds (0 to 30, default 20) have passed. The task's `layout` names the tensors of its `parameterCount` float32, in vector order, each row-major. Unknown fields may be added: ignore them.")
            .Produces<DeviceTaskView>().Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/tasks/decline", Decline).WithName("DeclineTask")
            .WithSummary("Give a task back: the device cannot take it")
            .WithDescription("Its round leaves the device out at once instead of waiting for the deadline. 404 when the device holds no such task (it is over already).")
            .Accepts<TaskDecline>("application/json")
            .WithRequestExample(new TaskDecline("project-1/round-3", "the task needs more memory than the device has"))
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/models/{hash}", Model).WithName("TaskModel")
            .WithSummary("Download the global model of a pending task")
            .WithDescription("Exactly `parameterCount` little-endian IEEE 754 float32, no header, in the order of the task's `layout`. 404 once the task is over.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/updates", Upload).WithName("UploadUpdate")
            .WithSummary("Upload the trained parameters of a task")
            .WithDescription("The body is `parameterCount` little-endian float32 in layout order; `task` and `model` name the task and the model hash it was trained from, `samples` (positive) weighs the update, `loss` (optional, finite) is the local training loss. 409 (refusal `notSelected`, `late`, `duplicate`, `stale`, `wrongTask`) and 422 (`malformed`) are final for the task; retry only 5xx and lost connections.")
            .Accepts<Stream>("application/octet-stream")
            .Produces<UpdateReceiptView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return group;
    }

    private static async Task<IResult> NextTask(
        string id, int? wait, HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens, DeviceTaskNotifier notifier, CancellationToken cancellationToken)
    {
        if (await Authenticated(id, context, grains, tokens) is not { } device)
        {
            return Unauthorized();
        }

        // Long poll: the device is asked once, and tells this process when a task arrives, so that
        // an idle agent costs no grain calls while it waits.
        var seconds = Math.Clamp(wait ?? 20, 0, 30);
        if (seconds == 0)
        {
            return await device.NextTask() is { } pending ? Results.Ok(ViewOf(pending)) : Results.NoContent();
        }

        using var waiter = notifier.Waiters.Start(id);
        var task = await device.WatchNextTask(notifier.Reference) ?? await waiter.NextAsync(TimeSpan.FromSeconds(seconds), cancellationToken);
        return task is null ? Results.NoContent() : Results.Ok(ViewOf(task));
    }

    private static async Task<IResult> Decline(string id, HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens, CancellationToken cancellationToken)
    {
        if (await Authenticated(id, context, grains, tokens) is not { } device)
        {
            return Unauthorized();
        }

        var (decline, refusal) = await RequestBodies.ReadJsonAsync<TaskDecline>(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (string.IsNullOrEmpty(decline!.TaskId))
        {
            return Problems.BadRequest("taskId is required");
        }

        return await device.DeclineTask(decline.TaskId, decline.Reason ?? "")
            ? Results.NoContent()
            : Problems.NotFound($"device '{id}' holds no task '{decline.TaskId}'");
    }

    private static async Task<IResult> Model(string id, string hash, HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens)
    {
        if (await Authenticated(id, context, grains, tokens) is not { } device)
        {
            return Unauthorized();
        }

        return await device.GetTaskModel(hash) is { } parameters
            ? Results.Bytes(MemoryMarshal.AsBytes(parameters.Value.AsSpan()).ToArray(), "application/octet-stream")
            : Problems.NotFound($"model '{hash}' is not the model of a task that device '{id}' holds");
    }

    private static async Task<IResult> Upload(
        string id, string? task, string? model, long? samples, double? loss, HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens, IOptions<FlopsLimits> limits, CancellationToken cancellationToken)
    {
        if (await Authenticated(id, context, grains, tokens) is not { } device)
        {
            return Unauthorized();
        }

        if (string.IsNullOrEmpty(task) || string.IsNullOrEmpty(model) || samples is null)
        {
            return Problems.BadRequest("task, model and samples are required: the update names the task it answers and the model it was trained from");
        }

        if (loss is { } l && !double.IsFinite(l))
        {
            return Problems.RefusedUpdate(UpdateRefusal.Malformed, "loss must be a finite number");
        }

        var (parameters, refusal) = await ReadParameters(context.Request, limits.Value.MaxUpdateBodyBytes, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var receipt = await device.SubmitTrainedUpdate(new DeviceUpdate
        {
            DeviceId = id,
            TaskId = task,
            BaseModelHash = model,
            Parameters = new Immutable<float[]>(parameters!),
            SampleCount = samples.Value,
            TrainingLoss = loss ?? 0,
        });
        return receipt.Accepted
            ? Results.Ok(new UpdateReceiptView(true, null, null))
            : Problems.RefusedUpdate(receipt.Refusal, receipt.Reason ?? "refused");
    }

    /// <summary>Raw little-endian float32, never more than the limit.</summary>
    private static async Task<(float[]? Parameters, IResult? Refusal)> ReadParameters(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var (body, tooLarge) = await RequestBodies.ReadAsync(request, maxBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        using var buffer = body!;
        if (buffer.Length == 0 || buffer.Length % sizeof(float) != 0)
        {
            return (null, Problems.RefusedUpdate(UpdateRefusal.Malformed, $"the body must be little-endian float32 parameters (got {buffer.Length} bytes)"));
        }

        return (MemoryMarshal.Cast<byte, float>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)).ToArray(), null);
    }

    private static async Task<IDeviceGrain?> Authenticated(string id, HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens)
    {
        var token = context.Request.Headers[LearnerRoutes.TokenHeader].ToString();
        return id.Length <= MaxDeviceIdLength && await tokens.IsValid(id, token) ? grains.GetGrain<IDeviceGrain>(id) : null;
    }

    private static IResult Unauthorized() => Problems.Unauthorized("a valid device token is required in " + LearnerRoutes.TokenHeader);

    private static DeviceTaskView ViewOf(TrainingTask task) => new(
        task.TaskId,
        task.ProjectId,
        task.Round,
        task.GlobalModel.Hash,
        task.GlobalModel.ParameterCount,
        new TaskModelView(task.Model.Kind, task.Model.Inputs, task.Model.Classes, task.Model.HiddenUnits, task.Model.ModelId),
        task.LocalEpochs,
        task.BatchSize,
        task.LearningRate,
        task.ProximalMu,
        task.Seed,
        TensorViews.Of(task.Layout),
        task.Momentum);
}
