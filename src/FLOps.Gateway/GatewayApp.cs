using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Projects;
using FLOps.Clustering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FLOps.Gateway;

/// <summary>Wires the HTTP API into a web application whose services already hold an Orleans client or silo.</summary>
public static class GatewayApp
{
    public static WebApplicationBuilder AddFlopsGateway(this WebApplicationBuilder builder, ApiKeys keys)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(keys);
        builder.Services.Configure<FlopsLimits>(builder.Configuration.GetSection(FlopsLimits.Section));
        builder.Services.AddSingleton<DeviceTokenIssuer>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeviceTaskNotifier>();
        builder.Services.AddSingleton<RequireApiKey>();
        builder.Services.AddSingleton<ModelScorers>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(options => options.AddFlopsSecuritySchemes());
        builder.Services.ConfigureHttpJsonOptions(o => GatewayJson.Configure(o.SerializerOptions));
        // The largest body is an update of the largest model; each endpoint holds its own, smaller limit.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<FlopsLimits>>((o, limits) => o.Limits.MaxRequestBodySize = Math.Max(limits.Value.MaxUpdateBodyBytes, limits.Value.MaxJsonBodyBytes));
        return builder;
    }

    public static WebApplication MapFlopsGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusOf });
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).WithTags("Health");
        app.MapGet("/readyz", Ready).WithTags("Health");
        app.MapProjectsApi();
        app.MapModelsApi();
        app.MapDevicesApi();
        app.MapDeviceTasksApi();
        return app;
    }

    /// <summary>
    /// Ready when the cluster answers and, for a durable cluster, its database does: while the
    /// database is away the service is "degraded" (grains retry and wait), not down.
    /// </summary>
    private static async Task<IResult> Ready(IGrainFactory grains, IServiceProvider services, CancellationToken cancellationToken)
    {
        // The database first: the cluster's answer (its membership) comes from it too.
        if (services.GetService<DatabaseProbe>() is { } database && await database.ProblemAsync(cancellationToken) is { } problem)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Degraded",
                detail: $"degraded: database unreachable ({problem})",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = "degraded" });
        }

        try
        {
            var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return Results.Ok(new { status = "ready", silos = silos.Count });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: $"the cluster does not answer: {e.Message}");
        }
    }

    /// <summary>Refusals that surface as exceptions still get their 4xx, never a 500.</summary>
    private static int StatusOf(Exception exception) => exception switch
    {
        Microsoft.AspNetCore.Http.BadHttpRequestException bad => bad.StatusCode,
        InvalidProjectSpecException => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status500InternalServerError,
    };
}
