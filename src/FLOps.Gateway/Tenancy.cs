using Microsoft.AspNetCore.Http;

namespace FLOps.Gateway;

/// <summary>Requires <c>Authorization: Bearer &lt;api key&gt;</c> and records the caller's tenant.</summary>
public sealed class RequireApiKey(ApiKeys keys) : IEndpointFilter
{
    private const string TenantItem = "flops.tenant";

    public static string TenantOf(HttpContext context) => (string)context.Items[TenantItem]!;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var tenant = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? keys.TenantOf(header[scheme.Length..].Trim()) : null;
        if (tenant is null)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ValueTask.FromResult<object?>(Problems.Unauthorized(header.Length == 0 ? "an API key is required: Authorization: Bearer <key>" : "the API key is not valid"));
        }

        context.HttpContext.Items[TenantItem] = tenant;
        return next(context);
    }
}
