namespace FLOps.Protocol;

/// <summary>
/// The answer to an ONNX model uploaded to <see cref="ServiceRoutes.Models"/>: its id, for a spec's
/// <c>model: { kind: "onnx", modelId }</c>, how many parameters it trains, and their tensors in
/// the order of the flat parameter vector.
/// </summary>
public sealed record ModelUploadView(string Id, long Parameters, IReadOnlyList<TensorView> Layout);

/// <summary>One named tensor of a model's parameters.</summary>
public sealed record TensorView(string Name, IReadOnlyList<long> Shape);
