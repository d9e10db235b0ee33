namespace FLOps.Protocol;

/// <summary>
/// Where a user of the service (the <c>flops</c> command, a script) talks to the gateway, with an
/// API key as <c>Authorization: Bearer KEY</c>. JSON bodies are camelCase; refusals are RFC 7807
/// problem details.
/// </summary>
public static class ServiceRoutes
{
    /// <summary><c>POST</c> a project spec (201, a <see cref="ProjectView"/>); <c>GET</c> the caller's projects.</summary>
    public const string Projects = "/api/v1/projects";

    /// <summary>
    /// <c>POST</c> an ONNX file as <c>application/octet-stream</c>: 201, a <see cref="ModelUploadView"/>;
    /// 422 for a graph the service cannot train. <c>GET {Models}/{id}</c>: the same view, 404 for another tenant's.
    /// </summary>
    public const string Models = "/api/v1/models";

    /// <summary>The name of each event of <see cref="Events"/>; its data is a <see cref="ProjectView"/>.</summary>
    public const string ProgressEvent = "progress";

    /// <summary><c>GET</c>: a <see cref="ProjectView"/>; 404 when the caller has no such project.</summary>
    public static string Project(string id) => $"{Projects}/{Escape(id)}";

    /// <summary><c>POST</c>: 202, the <see cref="ProjectView"/> as the cancellation left it.</summary>
    public static string Cancel(string id) => $"{Project(id)}/cancel";

    /// <summary><c>GET</c>: the trained model as ONNX (<c>application/octet-stream</c>); 409 while none exists.</summary>
    public static string Model(string id) => $"{Project(id)}/model";

    /// <summary>
    /// <c>GET</c>: server-sent events, one <see cref="ProgressEvent"/> at once and one per change,
    /// until the project ends; then the stream closes.
    /// </summary>
    public static string Events(string id) => $"{Project(id)}/events";

    private static string Escape(string id) => Uri.EscapeDataString(id);
}
