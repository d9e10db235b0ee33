using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Edge;
using FLOps.Grains.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FLOps.Gateway;

public static class DevicesApi
{
    public const string DefaultCluster = "default";

    public static RouteGroupBuilder MapDevicesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices").WithTags("Devices").AddEndpointFilter<RequireApiKey>();
        group.MapPost("/", Register).WithName("RegisterDevice").Produces<DeviceRegistration>(StatusCodes.Status201Created).ProducesValidationProblem();
        return group;
    }

    private static async Task<IResult> Register(HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (request, refusal) = await RequestBodies.ReadJsonAsync<DeviceRegistrationRequest>(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var errors = request!.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "Invalid device registration");
        }

        // A device of a named edge cluster carries it in its id, so that its grain lives on that
        // cluster's silos (and its updates go to that cluster's aggregator in hierarchical mode).
        var cluster = string.IsNullOrWhiteSpace(request.Cluster) ? DefaultCluster : request.Cluster;
        var id = "d-" + Guid.NewGuid().ToString("N")[..16];
        id = cluster == DefaultCluster ? id : EdgeKeys.InCluster(id, cluster);
        var token = DeviceTokens.NewToken();
        var profile = new DeviceProfile
        {
            Name = request.Name!,
            DataTags = [.. request.DataTags!],
            Cluster = cluster,
            SampleCount = request.SampleCount,
            Capabilities = request.Capabilities,
        };
        await grains.GetGrain<IDeviceGrain>(id).Register(profile, DeviceTokens.Hash(token));
        await Task.WhenAll(profile.DataTags.Select(tag => grains.GetGrain<IDeviceDirectoryGrain>(tag).Add(id)));
        return Results.Created($"/api/v1/devices/{id}", new DeviceRegistration(id, token));
    }
}

public sealed record DeviceRegistrationRequest(string? Name, string[]? DataTags, string? Cluster, int SampleCount, DeviceCapabilities? Capabilities = null)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200)
        {
            errors["name"] = ["must be 1 to 200 characters"];
        }

        if (DataTags is null || DataTags.Length == 0 || DataTags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 100))
        {
            errors["dataTags"] = ["must list at least one tag of 1 to 100 characters"];
        }

        if (Cluster is not null && !string.IsNullOrWhiteSpace(Cluster) && !EdgeKeys.IsValidClusterName(Cluster))
        {
            errors["cluster"] = ["must be 1 to 100 letters, digits, '-', '_' or '.'"];
        }

        if (Capabilities is { } c && (c.Cores < 1 || c.MemoryBytes < 0 || c.Platform is null || c.Platform.Length > 200))
        {
            errors["capabilities"] = ["cores must be positive, memoryBytes not negative, platform at most 200 characters"];
        }

        if (SampleCount < 1)
        {
            errors["sampleCount"] = [$"must be positive (got {SampleCount})"];
        }

        return errors;
    }
}

/// <summary>The device's id and its secret token, shown once.</summary>
public sealed record DeviceRegistration(string Id, string Token);
