using System.Runtime.InteropServices;
using FLOps.Learning.Onnx;
using Google.Protobuf;
using Onnx;

namespace FLOps.Inference.Tests;

/// <summary>ONNX graphs as another framework writes them, for the tests of uploaded models (linked into FLOps.Gateway.Tests too).</summary>
public static class ForeignOnnx
{
    /// <summary>
    /// logits = Flatten(input)·Wᵀ + b, written the way torch.onnx.export writes it: W in raw bytes,
    /// b as float_data, an int64 constant that is no parameter, the initialisers also listed as inputs.
    /// </summary>
    public static byte[] Softmax(float[] parameters, long opset = 13, Action<GraphProto>? change = null)
    {
        var graph = new GraphProto { Name = "torch_jit" };
        graph.Input.Add(Value("input", TensorProto.Types.DataType.Float, null, 1, 28, 28));
        graph.Input.Add(Value("fc.weight", TensorProto.Types.DataType.Float, 10, 784));
        var weight = new TensorProto { Name = "fc.weight", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(parameters.AsSpan(0, 7840))) };
        weight.Dims.Add([10, 784]);
        graph.Initializer.Add(weight);
        graph.Initializer.Add(OnnxNodes.FloatTensor("fc.bias", parameters.AsSpan(7840, 10), [10]));
        var axes = new TensorProto { Name = "unused_axes", DataType = (int)TensorProto.Types.DataType.Int64 };
        axes.Dims.Add(1);
        axes.Int64Data.Add(1);
        graph.Initializer.Add(axes);
        graph.Node.Add(OnnxNodes.Node("flatten", "Flatten", ["input"], ["flat"], OnnxNodes.IntAttribute("axis", 1)));
        graph.Node.Add(OnnxNodes.Gemm("fc", "flat", "fc.weight", "fc.bias", "logits"));
        graph.Output.Add(Value("logits", TensorProto.Types.DataType.Float, null, 10));
        change?.Invoke(graph);
        var model = new ModelProto { IrVersion = 7, ProducerName = "pytorch", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is { } size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = "batch_size" });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
