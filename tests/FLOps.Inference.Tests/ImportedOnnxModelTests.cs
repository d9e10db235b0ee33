using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Inference.Tests;

/// <summary>
/// An ONNX classifier as another framework writes it (PyTorch's shape: an input [N, 1, 28, 28], a
/// Flatten, a Gemm, an output "logits"), imported to be federated and scored like a built-in model.
/// </summary>
public sealed class ImportedOnnxModelTests
{
    private const long Limit = 50_000_000;


    private static float[] Parameters(int seed) => ReferenceModel.RandomParameters(SoftmaxKind.Architecture(784, 10), seed, 0.05);

    [Fact]
    public void The_parameters_are_the_float_initializers_in_graph_order_under_their_own_names()
    {
        var parameters = Parameters(3);

        var imported = ImportedOnnxModel.Import(ForeignOnnx.Softmax(parameters), Limit);

        Assert.Equal(new ParameterLayout(new ParameterTensor("fc.weight", 10, 784), new ParameterTensor("fc.bias", 10)), imported.Layout);
        Assert.Equal(parameters, imported.InitialParameters);
        Assert.Equal(784, imported.FeatureCount);
        Assert.Equal(10, imported.ClassCount);
    }

    [Fact]
    public void The_imported_graph_scores_through_MLNET_as_the_same_model_exported_by_FLOps_does()
    {
        var parameters = Parameters(5);
        var trained = Parameters(6);
        var imported = ImportedOnnxModel.Import(ForeignOnnx.Softmax(parameters), Limit);
        var test = Mnist.Load().Test;

        using var foreign = new OnnxModelScorer(ImportedOnnxModel.WithParameters(imported.Graph, trained), imported.FeatureCount, imported.ClassCount);
        using var ours = new OnnxModelScorer(OnnxModelExporter.Export(SoftmaxKind.Architecture(784, 10), trained), 784, 10);
        var theirs = foreign.PredictAll(test);
        var reference = ours.PredictAll(test);

        Assert.Equal(reference.Select(p => p.Label), theirs.Select(p => p.Label));
        Assert.All(theirs.Zip(reference), pair => Assert.Equal(pair.Second.Scores, pair.First.Scores, (a, b) => Math.Abs(a - b) < 1e-5));
        Assert.Equal(ours.Evaluate(test).MicroAccuracy, foreign.Evaluate(test).MicroAccuracy, 6);
    }

    [Fact]
    public void A_graph_whose_output_is_a_softmax_gives_its_probabilities_unchanged()
    {
        var parameters = Parameters(8);
        var onnx = ForeignOnnx.Softmax(parameters, change: graph =>
        {
            graph.Node.Add(OnnxNodes.Node("softmax", "Softmax", ["logits"], ["probs"], OnnxNodes.IntAttribute("axis", 1)));
            graph.Output[0].Name = "probs";
        });
        var imported = ImportedOnnxModel.Import(onnx, Limit);
        var test = Mnist.Load().Test;

        using var scorer = new OnnxModelScorer(imported.Graph, 784, 10);
        using var ours = new OnnxModelScorer(OnnxModelExporter.Export(SoftmaxKind.Architecture(784, 10), parameters), 784, 10);

        Assert.All(scorer.PredictAll(test).Zip(ours.PredictAll(test)), pair => Assert.Equal(pair.Second.Scores, pair.First.Scores, (a, b) => Math.Abs(a - b) < 1e-5));
    }

    [Fact]
    public void A_graph_that_uses_the_interfaces_names_itself_is_renamed_around_them()
    {
        var parameters = Parameters(9);
        var onnx = ForeignOnnx.Softmax(parameters, change: graph =>
        {
            graph.Input[0].Name = "features";
            graph.Node[0].Input[0] = "features";
            graph.Node[1].Output[0] = "label";
            graph.Output[0].Name = "label";
        });

        var imported = ImportedOnnxModel.Import(onnx, Limit);
        using var scorer = new OnnxModelScorer(imported.Graph, 784, 10);

        Assert.All(scorer.PredictAll(Mnist.Load().Test), p => Assert.Equal(10, p.Scores.Length));
    }

    [Fact]
    public void A_model_downloaded_from_FLOps_can_be_uploaded_again_to_go_on_training_it()
    {
        var parameters = Parameters(10);
        var first = ImportedOnnxModel.Import(ForeignOnnx.Softmax(parameters), Limit);
        var builtIn = OnnxModelExporter.Export(SoftmaxKind.Architecture(784, 10), parameters);
        var test = Mnist.Load().Test;

        var again = ImportedOnnxModel.Import(first.Graph, Limit);
        var ours = ImportedOnnxModel.Import(builtIn, Limit);
        using var reference = new OnnxModelScorer(builtIn, 784, 10);
        using var reimported = new OnnxModelScorer(again.Graph, 784, 10);
        using var exported = new OnnxModelScorer(ours.Graph, 784, 10);

        Assert.Equal(first.Layout, again.Layout);
        Assert.Equal(parameters, again.InitialParameters);
        Assert.Equal(parameters, ours.InitialParameters);
        var expected = reference.PredictAll(test);
        Assert.All(reimported.PredictAll(test).Zip(expected), pair => Assert.Equal(pair.Second.Scores, pair.First.Scores, (a, b) => Math.Abs(a - b) < 1e-5));
        Assert.All(exported.PredictAll(test).Zip(expected), pair => Assert.Equal(pair.Second.Scores, pair.First.Scores, (a, b) => Math.Abs(a - b) < 1e-5));
    }

    [Fact]
    public void Replacing_the_parameters_of_a_graph_with_too_few_or_too_many_values_is_refused()
    {
        var imported = ImportedOnnxModel.Import(ForeignOnnx.Softmax(Parameters(1)), Limit);

        Assert.Throws<ArgumentException>(() => ImportedOnnxModel.WithParameters(imported.Graph, new float[7849]));
        Assert.Throws<ArgumentException>(() => ImportedOnnxModel.WithParameters(imported.Graph, new float[7851]));
    }

    public static TheoryData<string, string> Unusable => new()
    {
        { "garbage", "not an ONNX model" },
        { "no-float-initializers", "no float initializers" },
        { "two-inputs", "must take one input" },
        { "unknown-size", "unknown size" },
        { "no-batch", "batch dimension" },
        { "too-many-parameters", "the service's limit" },
        { "old-opset", "opset 4" },
        { "not-finite", "must be finite" },
        { "one-class", "known number of classes" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void A_model_that_cannot_be_federated_is_refused_saying_why(string fault, string reason)
    {
        var parameters = Parameters(2);
        var onnx = fault switch
        {
            "garbage" => [0xff, 0xff, 0xff, 0x01, 0x02],
            "no-float-initializers" => ForeignOnnx.Softmax(parameters, change: g => { g.Initializer.RemoveAt(0); g.Initializer.RemoveAt(0); }),
            "two-inputs" => ForeignOnnx.Softmax(parameters, change: g => g.Input.Add(ForeignOnnx.Value("mask", TensorProto.Types.DataType.Float, null, 10))),
            "unknown-size" => ForeignOnnx.Softmax(parameters, change: g => g.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "height"),
            "no-batch" => ForeignOnnx.Softmax(parameters, change: g => { var dims = g.Input[0].Type.TensorType.Shape.Dim; while (dims.Count > 1) { dims.RemoveAt(1); } }),
            "old-opset" => ForeignOnnx.Softmax(parameters, opset: 4),
            "not-finite" => ForeignOnnx.Softmax([float.NaN, .. parameters[1..]]),
            "one-class" => ForeignOnnx.Softmax(parameters, change: g => g.Output[0].Type.TensorType.Shape.Dim[1].DimValue = 1),
            _ => ForeignOnnx.Softmax(parameters),
        };
        var limit = fault == "too-many-parameters" ? 7849 : Limit;

        var refusal = Assert.Throws<OnnxImportException>(() => ImportedOnnxModel.Import(onnx, limit));

        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }
}
