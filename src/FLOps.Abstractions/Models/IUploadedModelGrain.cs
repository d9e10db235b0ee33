using Orleans.Concurrency;

namespace FLOps.Abstractions.Models;

/// <summary>
/// An ONNX model a tenant uploaded to be federated (<c>model: { kind: "onnx", modelId }</c>), keyed
/// by <see cref="KeyFor"/>: a tenant reaches only its own uploads.
/// </summary>
public interface IUploadedModelGrain : IGrainWithStringKey
{
    /// <summary>The key of <paramref name="tenant"/>'s model <paramref name="modelId"/>.</summary>
    static string KeyFor(string tenant, string modelId) => $"{tenant}/{modelId}";

    /// <summary>
    /// Reads and keeps the model, once: a second call returns the first one's description.
    /// Throws <see cref="InvalidModelUploadException"/> with the reason when it cannot be federated.
    /// </summary>
    Task<UploadedModelInfo> Import(Immutable<byte[]> onnx);

    /// <summary>The model's description, or <see langword="null"/> when nothing was uploaded under this key.</summary>
    Task<UploadedModelInfo?> GetInfo();

    /// <summary>The model behind FLOps' interface, with its uploaded parameters; <see langword="null"/> as <see cref="GetInfo"/>.</summary>
    Task<Immutable<byte[]>?> GetGraph();
}
