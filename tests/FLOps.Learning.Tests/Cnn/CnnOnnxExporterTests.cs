using FLOps.Learning.Models.Cnn;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Learning.Tests.Cnn;

public sealed class CnnOnnxExporterTests
{
    [Fact]
    public void The_graph_has_the_shared_interface_the_layers_in_order_and_pytorch_named_weights()
    {
        var architecture = CnnArchitecture.Mnist;
        var parameters = Enumerable.Range(0, architecture.ParameterCount).Select(i => i * 1e-6f).ToArray();

        var model = ModelProto.Parser.ParseFrom(CnnOnnxExporter.Export(architecture, parameters));

        Assert.Equal(OnnxModelExporter.ProducerName, model.ProducerName);
        Assert.Equal(OnnxModelExporter.IrVersion, model.IrVersion);
        Assert.Equal(OnnxModelExporter.OpsetVersion, Assert.Single(model.OpsetImport).Version);
        var graph = model.Graph;
        Assert.Equal(
            ["Reshape", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax"],
            graph.Node.Select(n => n.OpType));

        var input = Assert.Single(graph.Input);
        Assert.Equal(OnnxModelExporter.FeaturesName, input.Name);
        Assert.Equal(784, input.Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal([OnnxModelExporter.ProbabilitiesName, OnnxModelExporter.LabelName], graph.Output.Select(o => o.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Int64, graph.Output[1].Type.TensorType.ElemType);

        foreach (var tensor in architecture.Tensors)
        {
            var initializer = Assert.Single(graph.Initializer, t => t.Name == tensor.Name);
            Assert.Equal(tensor.Shape.Select(d => (long)d), initializer.Dims);
            Assert.Equal(parameters.AsSpan(tensor.Offset, tensor.Length).ToArray(), initializer.FloatData);
        }

        var shape = Assert.Single(graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int64);
        Assert.Equal([-1L, 1, 28, 28], shape.Int64Data);

        // Every node input is a graph input, an initialiser or an earlier node's output.
        var known = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)));
        foreach (var node in graph.Node)
        {
            Assert.All(node.Input, name => Assert.Contains(name, known));
            known.UnionWith(node.Output);
        }
    }

    [Fact]
    public void A_parameter_vector_of_the_wrong_length_is_refused() =>
        Assert.Throws<ArgumentException>(() => CnnOnnxExporter.Export(CnnArchitecture.Mnist, new float[10]));
}
