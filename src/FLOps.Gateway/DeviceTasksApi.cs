using System.Runtime.InteropServices;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Concurrency;

namespace FLOps.Gateway;

/// <summary>
/// What a learner agent calls, authenticated by its device token (header <c>X-Device-Token</c>):
/// fetch the pending task, download its global model, upload the trained parameters.
/// Parameters travel as raw little-endian float32, never JSON.
/// </summary>
public static class DeviceTasksApi
{
    public const string TokenHeader = "X-Device-Token";
    public const int MaxUpdateBytes = 64 << 20;

    public static RouteGroupBuilder MapDeviceTasksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices/{id}").WithTags("Learner agents");
        group.MapGet("/tasks/next", NextTask).WithName("NextTask").Produces<DeviceTaskView>().Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapGet("/models/{hash}", Model).WithName("TaskModel").Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/updates", Upload).WithName("UploadUpdate").Produces<UpdateReceiptView>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return group;
    }

    private static async Task<IResult> NextTask(string id, int? wait, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await Authenticated(id, context, grains) is not { } device)
        {
            return Problems.Unauthorized("a valid device token is required in " + TokenHeader);
        }

        // Long poll, so that an idle agent asks a few times a minute rather than many times a second.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(Math.Clamp(wait ?? 20, 0, 30));
        while (true)
        {
            if (await device.NextTask() is { } task)
            {
                return Results.Ok(DeviceTaskView.Of(task));
            }

            if (DateTime.UtcNow >= until)
            {
                return Results.NoContent();
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static async Task<IResult> Model(string id, string hash, HttpContext context, IGrainFactory grains)
    {
        if (await Authenticated(id, context, grains) is not { } device)
        {
            return Problems.Unauthorized("a valid device token is required in " + TokenHeader);
        }

        try
        {
            var parameters = await device.GetTaskModel(hash);
            return Results.Bytes(MemoryMarshal.AsBytes(parameters.Value.AsSpan()).ToArray(), "application/octet-stream");
        }
        catch (InvalidOperationException e)
        {
            return Problems.NotFound(e.Message);
        }
    }

    private static async Task<IResult> Upload(string id, int round, long samples, double? loss, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await Authenticated(id, context, grains) is not { } device)
        {
            return Problems.Unauthorized("a valid device token is required in " + TokenHeader);
        }

        if (context.Request.ContentLength > MaxUpdateBytes)
        {
            return TooLarge();
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > MaxUpdateBytes)
        {
            return TooLarge();
        }

        if (buffer.Length == 0 || buffer.Length % sizeof(float) != 0)
        {
            return Problems.Unprocessable($"the body must be little-endian float32 parameters (got {buffer.Length} bytes)");
        }

        if (samples <= 0 || loss is { } l && !double.IsFinite(l))
        {
            return Problems.Unprocessable("samples must be positive and loss finite");
        }

        var parameters = MemoryMarshal.Cast<byte, float>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)).ToArray();
        var receipt = await device.SubmitTrainedUpdate(new DeviceUpdate
        {
            DeviceId = id,
            Round = round,
            Parameters = new Immutable<float[]>(parameters),
            SampleCount = samples,
            TrainingLoss = loss ?? 0,
        });
        if (receipt.Accepted)
        {
            return Results.Ok(new UpdateReceiptView(true, null));
        }

        // A malformed update is the sender's fault (422); anything else is about timing or selection (409).
        return receipt.Reason!.Contains("parameters", StringComparison.Ordinal) || receipt.Reason.Contains("sample count", StringComparison.Ordinal)
            ? Problems.Unprocessable(receipt.Reason)
            : Problems.Conflict(receipt.Reason);
    }

    private static async Task<IDeviceGrain?> Authenticated(string id, HttpContext context, IGrainFactory grains)
    {
        var token = context.Request.Headers[TokenHeader].ToString();
        if (token.Length == 0 || id.Length > 100)
        {
            return null;
        }

        var device = grains.GetGrain<IDeviceGrain>(id);
        return await device.Authenticate(token) ? device : null;
    }

    private static IResult TooLarge() =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Update too large", detail: $"an update may hold at most {MaxUpdateBytes} bytes");
}

/// <summary>A task as a learner agent receives it.</summary>
public sealed record DeviceTaskView(int Round, string ModelHash, int ParameterCount, ModelSpec Model, int LocalEpochs, int BatchSize, double LearningRate, double ProximalMu, int Seed)
{
    public static DeviceTaskView Of(TrainingTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(task.Round, task.GlobalModel.Hash, task.GlobalModel.ParameterCount, task.Model, task.LocalEpochs, task.BatchSize, task.LearningRate, task.ProximalMu, task.Seed);
    }
}

public sealed record UpdateReceiptView(bool Accepted, string? Reason);
