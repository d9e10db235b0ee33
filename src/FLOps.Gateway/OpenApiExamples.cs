using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FLOps.Gateway;

/// <summary>
/// Request examples in <c>/openapi/v1.json</c>: a body a newcomer can paste and send as it is.
/// Each is a real value of the route's request type, written with the gateway's own JSON options,
/// so an example cannot name a field the gateway would refuse (a test posts each one).
/// </summary>
public static class OpenApiExamples
{
    /// <summary>Documents <paramref name="example"/> as the JSON request body of the endpoint.</summary>
    public static TBuilder WithRequestExample<TBuilder, TRequest>(this TBuilder builder, TRequest example)
        where TBuilder : IEndpointConventionBuilder
    {
        var node = JsonSerializer.SerializeToNode(example, GatewayJson.Options);
        return builder.AddOpenApiOperationTransformer((operation, context, cancellationToken) =>
        {
            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true && body is OpenApiMediaType media)
            {
                media.Example = node?.DeepClone();
            }

            return Task.CompletedTask;
        });
    }
}
