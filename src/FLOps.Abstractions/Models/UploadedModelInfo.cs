namespace FLOps.Abstractions.Models;

/// <summary>What the service knows of an uploaded ONNX model.</summary>
[GenerateSerializer, Immutable, Alias("flops.UploadedModelInfo")]
public sealed record UploadedModelInfo
{
    [Id(0)] public string Id { get; init; } = "";

    /// <summary>The tensors it trains, in the order of its flat parameter vector.</summary>
    [Id(1)] public IReadOnlyList<TensorShape> Layout { get; init; } = [];

    [Id(2)] public long ParameterCount { get; init; }

    /// <summary>Features per sample (the graph input's size after its batch dimension).</summary>
    [Id(3)] public int Inputs { get; init; }

    [Id(4)] public int Classes { get; init; }

    /// <summary>The uploaded parameters in the model store: a project's first global model.</summary>
    [Id(5)] public ModelRef InitialModel { get; init; } = ModelRef.None;

    /// <summary>Size of the uploaded file.</summary>
    [Id(6)] public long Bytes { get; init; }

    [Id(7)] public DateTimeOffset UploadedAt { get; init; }
}
