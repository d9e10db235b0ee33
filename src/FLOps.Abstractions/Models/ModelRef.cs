namespace FLOps.Abstractions.Models;

/// <summary>
/// A model version by content hash. Messages and grain state carry this reference, never the
/// parameters, so that memory and state writes stay O(1) per device however big the model is.
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.ModelRef")]
public sealed record ModelRef([property: Id(0)] string Hash, [property: Id(1)] int ParameterCount)
{
    public static ModelRef None { get; } = new("", 0);

    public bool IsNone => Hash.Length == 0;

    public override string ToString() => IsNone ? "(none)" : $"{Hash[..Math.Min(12, Hash.Length)]}…[{ParameterCount}]";
}
