using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace FLOps.Gateway;

/// <summary>
/// The two ways in, as OpenAPI security schemes: a tenant's API key (users, the CLI, the console)
/// and a device's token (learner agents, on the routes under <c>/api/v1/devices/{id}/</c>). Each
/// operation names the one it takes, so a generated client sends the right header.
/// </summary>
public static class OpenApiSecurity
{
    public const string ApiKey = "apiKey";
    public const string DeviceToken = "deviceToken";

    public static OpenApiOptions AddFlopsSecuritySchemes(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddDocumentTransformer((document, context, cancellationToken) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
            document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A tenant's API key (FLOPS_API_KEYS, or the one `flops serve` prints): `Authorization: Bearer <key>`",
            };
            document.Components.SecuritySchemes[DeviceToken] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = LearnerRoutes.TokenHeader,
                Description = "The token of the device's registration (`POST /api/v1/devices` answers it)",
            };
            return Task.CompletedTask;
        });
    }

    /// <summary>Requires a tenant's API key on the group's routes, and documents that they take it.</summary>
    public static RouteGroupBuilder RequireTenantApiKey(this RouteGroupBuilder group) =>
        group.AddEndpointFilter<RequireApiKey>().DocumentSecurity(ApiKey);

    /// <summary>Documents that the endpoints take <paramref name="scheme"/>.</summary>
    public static TBuilder DocumentSecurity<TBuilder>(this TBuilder builder, string scheme)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, context, cancellationToken) =>
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
            return Task.CompletedTask;
        });
}
