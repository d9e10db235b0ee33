using FLOps.Abstractions.Rounds;

namespace FLOps.Abstractions.Projects;

/// <summary>
/// One federated-learning project, keyed by its id: it owns the spec, the state machine, the
/// per-round history and the reference to the current global model, and drives the rounds
/// (each reports back through <see cref="IRoundParent.OnRoundEnded"/>).
/// </summary>
[Alias("flops.IProjectGrain")]
public interface IProjectGrain : IRoundParent
{
    /// <summary>
    /// Accepts a spec of <paramref name="tenant"/>'s and starts training on that tenant's devices
    /// (or simulated ones). Throws <see cref="InvalidProjectSpecException"/> for a spec that
    /// cannot run, before anything is stored; submitting again to a project that already has a
    /// spec is refused.
    /// </summary>
    [Alias("Submit")]
    Task<ProjectSnapshot> Submit(ProjectSpec spec, string tenant);

    [Alias("GetSnapshot")]
    Task<ProjectSnapshot> GetSnapshot();

    /// <summary>Stops a pending or running project; a finished one is left as it is.</summary>
    [Alias("Cancel")]
    Task<ProjectSnapshot> Cancel(string reason);

    /// <summary>The current global model as ONNX; <c>null</c> before the first round completed.</summary>
    [Alias("ExportOnnx")]
    Task<byte[]?> ExportOnnx();

    /// <summary>Registers an observer for round progress; re-subscribe within the observer expiry.</summary>
    [Alias("Subscribe")]
    Task Subscribe(IProjectObserver observer);

    [Alias("Unsubscribe")]
    Task Unsubscribe(IProjectObserver observer);
}

/// <summary>Receives progress of one project (for CLIs, the gateway's event stream, client libraries).</summary>
[Alias("flops.IProjectObserver")]
public interface IProjectObserver : IGrainObserver
{
    [Alias("OnProgress")]
    void OnProgress(ProjectSnapshot snapshot);
}

/// <summary>How a round ended: with a new global model, or failed with a reason.</summary>
[GenerateSerializer, Immutable, Alias("flops.RoundOutcome")]
public sealed record RoundOutcome
{
    [Id(0)] public int Round { get; init; }

    [Id(1)] public bool Succeeded { get; init; }

    [Id(2)] public RoundSummary? Summary { get; init; }

    [Id(3)] public string? FailureReason { get; init; }

    /// <summary>Which attempt at the round number ended (0 unless retried).</summary>
    [Id(4)] public int Attempt { get; init; }
}

/// <summary>A spec that cannot run, with every problem found (field path and reason).</summary>
[GenerateSerializer, Alias("flops.InvalidProjectSpecException")]
public sealed class InvalidProjectSpecException : Exception
{
    public InvalidProjectSpecException(IReadOnlyList<SpecError> errors)
        : base(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
    {
        Errors = errors;
    }

    public InvalidProjectSpecException()
        : this([])
    {
    }

    public InvalidProjectSpecException(string message)
        : base(message)
    {
        Errors = [];
    }

    public InvalidProjectSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    [Id(0)] public IReadOnlyList<SpecError> Errors { get; } = [];
}

[GenerateSerializer, Immutable, Alias("flops.SpecError")]
public sealed record SpecError([property: Id(0)] string Field, [property: Id(1)] string Message);
