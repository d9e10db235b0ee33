namespace FLOps.Protocol;

/// <summary>
/// Where a learner agent talks to the gateway, relative to <c>/api/v1/devices/{id}/</c>, and how it
/// authenticates: the device token in <see cref="TokenHeader"/>. Parameters travel as raw
/// little-endian float32, never JSON.
/// </summary>
public static class LearnerRoutes
{
    public const string TokenHeader = "X-Device-Token";

    /// <summary><c>POST /api/v1/devices</c> (API key): register, answered by a <see cref="DeviceRegistration"/>.</summary>
    public const string Register = "/api/v1/devices";

    /// <summary>The device's routes, relative to this prefix.</summary>
    public static string Device(string deviceId) => $"/api/v1/devices/{Uri.EscapeDataString(deviceId)}/";

    /// <summary><c>GET</c>: a <see cref="DeviceTaskView"/>, or 204 when none came within <c>wait</c> seconds (0 to 30).</summary>
    public static string NextTask(int waitSeconds) => $"tasks/next?wait={waitSeconds}";

    /// <summary><c>POST</c> a <see cref="TaskDecline"/>: the device cannot take the task; its round leaves it out at once.</summary>
    public const string DeclineTask = "tasks/decline";

    /// <summary><c>GET</c>: the global model of one of the device's pending tasks, exactly <see cref="DeviceTaskView.ParameterCount"/> float32.</summary>
    public static string Model(string modelHash) => $"models/{Uri.EscapeDataString(modelHash)}";

    /// <summary>
    /// <c>POST</c> the trained parameters of task <paramref name="taskId"/>, trained from the model
    /// <paramref name="modelHash"/>; answered by an <see cref="UpdateReceiptView"/> or a problem
    /// (409 for a refusal of timing or binding, 422 for a malformed update). The loss is escaped too:
    /// its round-trip form has a '+' from 1E+15 on, which a query would read as a space.
    /// </summary>
    public static string Update(string taskId, string modelHash, long samples, double loss) =>
        FormattableString.Invariant($"updates?task={Uri.EscapeDataString(taskId)}&model={Uri.EscapeDataString(modelHash)}&samples={samples}&loss={Uri.EscapeDataString(loss.ToString("R", System.Globalization.CultureInfo.InvariantCulture))}");
}
