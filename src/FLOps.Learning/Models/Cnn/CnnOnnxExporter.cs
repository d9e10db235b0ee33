using FLOps.Learning.Onnx;
using Google.Protobuf;
using Onnx;

namespace FLOps.Learning.Models.Cnn;

/// <summary>
/// Writes a <see cref="CnnArchitecture"/> as an ONNX graph with the interface and conventions of
/// <see cref="OnnxModelExporter"/> (opset 17, input <c>features</c> float [N, C·H·W], outputs
/// <c>probabilities</c> float [N, classes] and <c>label</c> int64 [N]), so ML.NET scores it like the other kinds:
/// <c>Reshape [N, C, H, W] → Conv → Relu → MaxPool → Conv → Relu → MaxPool → Flatten → Gemm → Relu → Gemm → Softmax, ArgMax</c>.
/// </summary>
/// <remarks>The initialisers carry the tensors' PyTorch names and shapes (<see cref="CnnArchitecture.Tensors"/>).</remarks>
public static class CnnOnnxExporter
{
    private const string ShapeName = "image_shape";
    private const string BatchDimension = "N";

    public static byte[] Export(CnnArchitecture architecture, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        if (parameters.Length != architecture.ParameterCount)
        {
            throw new ArgumentException(
                $"The CNN ({architecture}) has {architecture.ParameterCount} parameters, but {parameters.Length} were given.", nameof(parameters));
        }

        var graph = new GraphProto { Name = "flops_cnn" };
        graph.Input.Add(OnnxNodes.TensorValue(OnnxModelExporter.FeaturesName, TensorProto.Types.DataType.Float, BatchDimension, architecture.InputCount));
        foreach (var tensor in architecture.Tensors)
        {
            var dims = tensor.Shape.Select(d => (long)d).ToArray();
            graph.Initializer.Add(OnnxNodes.FloatTensor(tensor.Name, parameters.Slice(tensor.Offset, tensor.Length), dims));
        }

        var shape = new TensorProto { Name = ShapeName, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 4 } };
        shape.Int64Data.Add([-1, architecture.Channels, architecture.Height, architecture.Width]);
        graph.Initializer.Add(shape);

        graph.Node.Add(Node("reshape", "Reshape", [OnnxModelExporter.FeaturesName, ShapeName], "image"));
        AddConvolution(graph, architecture, "conv1", "image", "pool1");
        AddConvolution(graph, architecture, "conv2", "pool1", "pool2");
        graph.Node.Add(Node("flatten", "Flatten", ["pool2"], "flat", OnnxNodes.IntAttribute("axis", 1)));
        graph.Node.Add(OnnxNodes.Gemm("fc1", "flat", "fc1.weight", "fc1.bias", "fc1_linear"));
        graph.Node.Add(Node("relu3", "Relu", ["fc1_linear"], "hidden"));
        graph.Node.Add(OnnxNodes.Gemm("fc2", "hidden", "fc2.weight", "fc2.bias", "logits"));
        graph.Node.Add(OnnxNodes.Node("softmax", "Softmax", ["logits"], [OnnxModelExporter.ProbabilitiesName], OnnxNodes.IntAttribute("axis", 1)));
        graph.Node.Add(OnnxNodes.Node("argmax", "ArgMax", [OnnxModelExporter.ProbabilitiesName], [OnnxModelExporter.LabelName], OnnxNodes.IntAttribute("axis", 1), OnnxNodes.IntAttribute("keepdims", 0)));
        graph.Output.Add(OnnxNodes.TensorValue(OnnxModelExporter.ProbabilitiesName, TensorProto.Types.DataType.Float, BatchDimension, architecture.ClassCount));
        graph.Output.Add(OnnxNodes.TensorValue(OnnxModelExporter.LabelName, TensorProto.Types.DataType.Int64, BatchDimension));

        var model = new ModelProto
        {
            IrVersion = OnnxModelExporter.IrVersion,
            ProducerName = OnnxModelExporter.ProducerName,
            ModelVersion = 1,
            DocString = $"CNN classifier: {architecture}.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxModelExporter.OpsetVersion });
        return model.ToByteArray();
    }

    /// <summary>Conv (valid, stride 1) → Relu → MaxPool (stride = size) for the tensors named <paramref name="layer"/>.weight/.bias.</summary>
    private static void AddConvolution(GraphProto graph, CnnArchitecture architecture, string layer, string input, string output)
    {
        var k = architecture.KernelSize;
        var p = architecture.PoolSize;
        graph.Node.Add(Node(
            layer,
            "Conv",
            [input, $"{layer}.weight", $"{layer}.bias"],
            $"{layer}_linear",
            Ints("kernel_shape", k, k),
            Ints("strides", 1, 1),
            Ints("pads", 0, 0, 0, 0),
            Ints("dilations", 1, 1)));
        var index = layer[^1];
        graph.Node.Add(Node($"relu{index}", "Relu", [$"{layer}_linear"], $"{layer}_relu"));
        graph.Node.Add(Node(
            $"pool{index}",
            "MaxPool",
            [$"{layer}_relu"],
            output,
            Ints("kernel_shape", p, p),
            Ints("strides", p, p),
            Ints("pads", 0, 0, 0, 0)));
    }

    private static NodeProto Node(string name, string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = opType, Output = { output } };
        node.Input.Add(inputs);
        node.Attribute.Add(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }
}
