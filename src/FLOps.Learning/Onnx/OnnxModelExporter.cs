using FLOps.Learning.Models;

namespace FLOps.Learning.Onnx;

/// <summary>Writes a model as an ONNX graph: input "features" [N, inputs] float, outputs "probabilities" [N, classes] and "label" [N].</summary>
public static class OnnxModelExporter
{
    public static byte[] Export(ModelArchitecture architecture, ReadOnlySpan<float> parameters) => throw new NotImplementedException();
}
