using FLOps.Abstractions.Models;

namespace FLOps.Grains.Models;

[GenerateSerializer, Alias("flops.UploadedModelState")]
public sealed class UploadedModelState
{
    [Id(0)] public UploadedModelInfo? Info { get; set; }

    /// <summary>The model behind FLOps' interface (<see cref="FLOps.Learning.Onnx.ImportedOnnxModel.Graph"/>).</summary>
    [Id(1)] public byte[]? Graph { get; set; }
}
