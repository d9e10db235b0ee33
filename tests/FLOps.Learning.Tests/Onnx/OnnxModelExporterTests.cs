using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Learning.Tests.Onnx;

public sealed class OnnxModelExporterTests
{
    private static float[] Sequence(int count) => Enumerable.Range(0, count).Select(i => i * 0.001f).ToArray();

    [Fact]
    public void Softmax_model_parses_back_with_the_declared_interface_and_weights_in_layout_order()
    {
        var architecture = SoftmaxKind.Architecture(784, 10);
        var parameters = Sequence(architecture.ParameterCount);

        var model = ModelProto.Parser.ParseFrom(OnnxModelExporter.Export(architecture, parameters));

        Assert.Equal("FLOps.Orleans", model.ProducerName);
        Assert.Equal(OnnxModelExporter.IrVersion, model.IrVersion);
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal(string.Empty, opset.Domain);
        Assert.Equal(OnnxModelExporter.OpsetVersion, opset.Version);
        AssertInterface(model.Graph, 784, 10);
        Assert.Equal(new[] { "Gemm", "Softmax", "ArgMax" }, model.Graph.Node.Select(n => n.OpType));

        var w = Initializer(model.Graph, "W");
        var b = Initializer(model.Graph, "b");
        Assert.Equal(new long[] { 10, 784 }, w.Dims);
        Assert.Equal(new long[] { 10 }, b.Dims);
        Assert.Equal(parameters[..7840], w.FloatData);
        Assert.Equal(parameters[7840..], b.FloatData);
        Assert.Equal(1, Attribute(model.Graph.Node[0], "transB").I);
    }

    [Fact]
    public void Mlp_model_parses_back_with_two_layers()
    {
        var architecture = MlpKind.Architecture(784, 10, 32);
        var parameters = Sequence(architecture.ParameterCount);

        var model = ModelProto.Parser.ParseFrom(OnnxModelExporter.Export(architecture, parameters));

        AssertInterface(model.Graph, 784, 10);
        Assert.Equal(new[] { "Gemm", "Relu", "Gemm", "Softmax", "ArgMax" }, model.Graph.Node.Select(n => n.OpType));
        var sizes = model.Graph.Initializer.ToDictionary(t => t.Name, t => (Dims: t.Dims.ToArray(), Count: t.FloatData.Count));
        Assert.Equal(new long[] { 32, 784 }, sizes["W1"].Dims);
        Assert.Equal(32 * 784, sizes["W1"].Count);
        Assert.Equal(new long[] { 32 }, sizes["b1"].Dims);
        Assert.Equal(new long[] { 10, 32 }, sizes["W2"].Dims);
        Assert.Equal(320, sizes["W2"].Count);
        Assert.Equal(new long[] { 10 }, sizes["b2"].Dims);
        Assert.Equal(architecture.ParameterCount, sizes.Values.Sum(s => s.Count));

        // b1 starts right after W1 and b2 is the tail of the vector.
        Assert.Equal(parameters[(32 * 784)..(32 * 785)], Initializer(model.Graph, "b1").FloatData);
        Assert.Equal(parameters[^10..], Initializer(model.Graph, "b2").FloatData);
    }

    [Fact]
    public void Rejects_a_parameter_vector_of_the_wrong_length()
    {
        var architecture = SoftmaxKind.Architecture(4, 3);
        Assert.Throws<ArgumentException>(() => OnnxModelExporter.Export(architecture, new float[architecture.ParameterCount - 1]));
    }

    private static void AssertInterface(GraphProto graph, int inputs, int classes)
    {
        var input = Assert.Single(graph.Input);
        Assert.Equal("features", input.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.Type.TensorType.ElemType);
        var inputDims = input.Type.TensorType.Shape.Dim;
        Assert.Equal(2, inputDims.Count);
        Assert.False(string.IsNullOrEmpty(inputDims[0].DimParam), "the batch dimension is symbolic");
        Assert.Equal(inputs, inputDims[1].DimValue);

        Assert.Equal(new[] { "probabilities", "label" }, graph.Output.Select(o => o.Name));
        var probabilities = graph.Output[0].Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Float, probabilities.ElemType);
        Assert.Equal(inputDims[0].DimParam, probabilities.Shape.Dim[0].DimParam);
        Assert.Equal(classes, probabilities.Shape.Dim[1].DimValue);
        var label = graph.Output[1].Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Int64, label.ElemType);
        Assert.Single(label.Shape.Dim);

        // Every node input is a graph input, an initialiser or an earlier node's output.
        var known = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)));
        foreach (var node in graph.Node)
        {
            Assert.All(node.Input, name => Assert.Contains(name, known));
            known.UnionWith(node.Output);
        }

        Assert.All(graph.Output, output => Assert.Contains(output.Name, known));
    }

    private static TensorProto Initializer(GraphProto graph, string name) => Assert.Single(graph.Initializer, t => t.Name == name);

    private static AttributeProto Attribute(NodeProto node, string name) => Assert.Single(node.Attribute, a => a.Name == name);
}
