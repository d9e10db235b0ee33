using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Learning.Tests.Cnn;

/// <summary>What <c>cnn</c> decides as a kind of the catalogue; what every kind must do is in <c>ModelKindSpecificationTests</c>.</summary>
public sealed class CnnKindTests
{
    [Fact]
    public void The_catalogue_finds_the_cnn_with_its_default_dense_layer_and_pytorch_layout()
    {
        var architecture = ModelCatalog.Architecture("CNN", new ModelSize(784, 10));

        Assert.Same(CnnKind.Instance, architecture.Kind);
        Assert.Equal(CnnKind.Architecture(), architecture);
        Assert.Equal(new ModelSize(784, 10, CnnKind.DefaultHiddenUnits), architecture.Size);
        Assert.Equal(225_034, architecture.ParameterCount);
        Assert.Equal(
            "conv1.weight[32×1×3×3], conv1.bias[32], conv2.weight[64×32×3×3], conv2.bias[64], fc1.weight[128×1600], fc1.bias[128], fc2.weight[10×128], fc2.bias[10]",
            architecture.Layout.ToString());
        Assert.Equal("a cnn 28×28→conv 32→conv 64→128→10", architecture.ToString());
    }

    [Fact]
    public void Model_hidden_units_and_classes_size_the_dense_layers()
    {
        var architecture = CnnKind.Architecture(classes: 3, hiddenUnits: 16);

        Assert.Equal("fc1.weight[16×1600], fc1.bias[16], fc2.weight[3×16], fc2.bias[3]", string.Join(", ", architecture.Layout.Tensors.Skip(4)));
        Assert.Equal(320 + 18_496 + (1600 * 16) + 16 + (3 * 16) + 3, architecture.ParameterCount);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(783)]
    [InlineData(785)]
    [InlineData(1568)] // 28×28×2: the cnn reads one channel
    public void Inputs_other_than_one_28x28_image_are_refused_with_a_message_fit_for_a_spec_error(int inputs)
    {
        var refused = Assert.Throws<ArgumentException>(() => CnnKind.Instance.CountParameters(new ModelSize(inputs, 10)));

        Assert.Equal($"a cnn reads 28×28 single-channel images, 784 inputs (got {inputs})", refused.Message);
        Assert.Throws<ArgumentException>(() => ModelCatalog.Architecture("cnn", new ModelSize(inputs, 10)));
    }

    [Fact]
    public void A_dense_layer_without_units_is_refused_and_a_huge_one_is_counted_in_64_bits()
    {
        var refused = Assert.Throws<ArgumentException>(() => CnnKind.Instance.CountParameters(new ModelSize(784, 10, 0)));
        var count = CnnKind.Instance.CountParameters(new ModelSize(784, 10, 2_000_000));

        Assert.Equal("a cnn needs at least one hidden unit (got 0)", refused.Message);
        Assert.Equal(320 + 18_496 + (1601L * 2_000_000) + (10L * 2_000_000) + 10, count);
        Assert.Throws<ArgumentException>(() => CnnKind.Architecture(hiddenUnits: 2_000_000));
    }

    [Fact]
    public void The_onnx_graph_reshapes_the_features_to_images_and_runs_the_layers_in_order()
    {
        var architecture = CnnKind.Architecture();
        var parameters = ModelInitializer.Create(architecture, seed: 1);

        var model = ModelProto.Parser.ParseFrom(OnnxModelExporter.Export(architecture, parameters));

        var graph = model.Graph;
        Assert.Equal(
            ["Reshape", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax"],
            graph.Node.Select(n => n.OpType));
        Assert.Equal(784, Assert.Single(graph.Input).Type.TensorType.Shape.Dim[1].DimValue);
        var shape = Assert.Single(graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int64);
        Assert.Equal([-1L, 1, 28, 28], shape.Int64Data);
        var conv = graph.Node.First(n => n.OpType == "Conv");
        Assert.Equal(["image", "conv1.weight", "conv1.bias"], conv.Input);
        Assert.Equal([3L, 3], conv.Attribute.Single(a => a.Name == "kernel_shape").Ints);
        Assert.Equal([2L, 2], graph.Node.First(n => n.OpType == "MaxPool").Attribute.Single(a => a.Name == "strides").Ints);

        // Every node input is a graph input, an initialiser or an earlier node's output.
        var known = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)));
        foreach (var node in graph.Node)
        {
            Assert.All(node.Input, name => Assert.Contains(name, known));
            known.UnionWith(node.Output);
        }
    }
}
