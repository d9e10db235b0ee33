using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Models;
using FLOps.Client;
using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FLOps.Gateway;

/// <summary>
/// ONNX models to federate: <c>POST /api/v1/models</c> takes the file as it is and answers with
/// the id a spec names (<c>model: { kind: "onnx", modelId }</c>) and the parameters it trains.
/// A tenant sees only its own uploads.
/// </summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(ServiceRoutes.Models).WithTags("Models").RequireTenantApiKey();
        group.MapPost("/", Upload).WithName("UploadModel")
            .Accepts<byte[]>("application/octet-stream")
            .Produces<ModelUploadView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithDescription("The body is an ONNX file. Its float initializers, in graph order, are the parameters learners train; its one input is the features of a batch ([N, ...] with known sizes after N) and its first output the logits or probabilities [N, classes]. 422 says why a graph cannot be federated.");
        group.MapGet("/{id}", Get).WithName("GetModel").Produces<ModelUploadView>().ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<IResult> Upload(HttpContext context, IGrainFactory grains, IOptions<FlopsLimits> limits, CancellationToken cancellationToken)
    {
        var maxBytes = limits.Value.MaxModelUploadBytes;
        var (body, tooLarge) = await RequestBodies.ReadAsync(context.Request, maxBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return Problems.Unprocessable($"the model file is larger than the service's limit of {maxBytes} bytes");
        }

        using var buffer = body!;
        if (buffer.Length == 0)
        {
            return Problems.Unprocessable("the body is empty: send the ONNX file as application/octet-stream");
        }

        try
        {
            var info = await ClientFor(context, grains).UploadModelAsync(buffer.ToArray());
            return Results.Created($"{ServiceRoutes.Models}/{Uri.EscapeDataString(info.Id)}", ViewOf(info));
        }
        catch (InvalidModelUploadException e)
        {
            return Problems.Unprocessable(e.Message);
        }
    }

    private static async Task<IResult> Get(string id, HttpContext context, IGrainFactory grains) =>
        id.Length <= 64 && await ClientFor(context, grains).GetModelAsync(id) is { } info
            ? Results.Ok(ViewOf(info))
            : Problems.NotFound($"no model '{GatewayText.OneLine(id, 64)}'");

    private static ModelUploadView ViewOf(UploadedModelInfo info) =>
        new(info.Id, info.ParameterCount, TensorViews.Of(info.Layout));

    private static FlopsClient ClientFor(HttpContext context, IGrainFactory grains) => new(grains, RequireApiKey.TenantOf(context));
}
