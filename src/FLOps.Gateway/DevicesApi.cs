using FLOps.Abstractions.Devices;
using FLOps.Client;
using FLOps.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FLOps.Gateway;

public static class DevicesApi
{
    public static RouteGroupBuilder MapDevicesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices").WithTags("Devices").RequireTenantApiKey();
        group.MapPost("/", Register).WithName("RegisterDevice")
            .WithSummary("Register a learner device with the tenant of the API key (Authorization: Bearer KEY)")
            .WithDescription("Answers the device's id and its token, shown once: the learner routes under /api/v1/devices/{id}/ take it in the X-Device-Token header. Register again (a new id) when a device route answers 401.")
            .Accepts<DeviceRegistrationRequest>("application/json")
            .WithRequestExample(new DeviceRegistrationRequest("raspberry-pi-7", ["mnist"], "default", 800))
            .Produces<DeviceRegistration>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return group;
    }

    /// <summary>A device belongs to the tenant whose key registered it: only that tenant's projects hand it tasks.</summary>
    private static async Task<IResult> Register(HttpContext context, IGrainFactory grains, DeviceTokenIssuer tokens, CancellationToken cancellationToken)
    {
        var (request, refusal) = await RequestBodies.ReadJsonAsync<DeviceRegistrationRequest>(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var profile = new DeviceProfile
        {
            Name = request!.Name ?? "",
            DataTags = request.DataTags ?? [],
            Cluster = request.Cluster ?? "",
            SampleCount = request.SampleCount,
            Capabilities = request.Capabilities is { } c ? new DeviceCapabilities(c.Cores, c.MemoryBytes, c.Platform!) : null,
        };
        var result = await new FlopsClient(grains, RequireApiKey.TenantOf(context)).RegisterDeviceAsync(profile);
        if (result.Errors.Count > 0)
        {
            return Results.ValidationProblem(result.Errors.ToDictionary(e => e.Key, e => new[] { e.Value }), title: "Invalid device registration");
        }

        if (result.LimitReached is { } limit)
        {
            return Problems.Forbidden(limit);
        }

        var id = result.DeviceId!;
        return Results.Created($"/api/v1/devices/{id}", new DeviceRegistration(id, await tokens.TokenFor(id)));
    }
}
