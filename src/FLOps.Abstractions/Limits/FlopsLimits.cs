namespace FLOps.Abstractions.Limits;

/// <summary>
/// What one tenant or one request may ask of the service. Silos and gateways bind it from the
/// configuration section <c>Flops:Limits</c> (environment: <c>Flops__Limits__MaxModelParameters=…</c>);
/// the defaults are written in README ("Limits").
/// </summary>
public sealed class FlopsLimits
{
    public const string Section = "Flops:Limits";

    /// <summary>Parameters of one model (50M float32 = 200 MB per model version).</summary>
    public long MaxModelParameters { get; set; } = 50_000_000;

    /// <summary>The largest sample count an update may claim; updates are weighted by it.</summary>
    public long MaxSampleCount { get; set; } = 1_000_000_000;

    public int MaxDataTagsPerDevice { get; set; } = 32;

    public int MaxDataTagLength { get; set; } = 100;

    /// <summary>Projects a tenant may have (every state counts: a project's record stays).</summary>
    public int MaxProjectsPerTenant { get; set; } = 1_000;

    /// <summary>Registered devices a tenant may have.</summary>
    public int MaxDevicesPerTenant { get; set; } = 100_000;

    /// <summary>Pending tasks a registered device holds at once (one per project).</summary>
    public int MaxPendingTasksPerDevice { get; set; } = 64;

    /// <summary>JSON request bodies (specs, registrations, predictions).</summary>
    public int MaxJsonBodyBytes { get; set; } = 1 << 20;

    /// <summary>An update's body: 4 bytes per parameter, so at least 4 × <see cref="MaxModelParameters"/> to upload the largest model.</summary>
    public long MaxUpdateBodyBytes { get; set; } = 4L * 50_000_000;

    public int MaxIdempotencyKeyLength { get; set; } = 200;

    /// <summary>
    /// An uploaded ONNX model file (<c>POST /api/v1/models</c>): 64 MiB, about 16M float32 parameters,
    /// well inside Orleans' 100 MB message limit that carries it to its grain.
    /// </summary>
    public long MaxModelUploadBytes { get; set; } = 64L << 20;
}
