namespace FLOps.Abstractions.Models;

/// <summary>
/// One named tensor of a model's flat parameter vector, as tasks tell learners: its elements lie
/// there contiguously, row-major, in the order of the list that holds it.
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.TensorShape")]
public sealed record TensorShape([property: Id(0)] string Name, [property: Id(1)] IReadOnlyList<int> Shape);
