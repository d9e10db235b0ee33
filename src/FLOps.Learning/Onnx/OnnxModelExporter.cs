using FLOps.Learning.Models;
using Google.Protobuf;
using Onnx;

namespace FLOps.Learning.Onnx;

/// <summary>
/// Writes a model as an ONNX graph (opset <see cref="OpsetVersion"/>, IR version <see cref="IrVersion"/>),
/// built from OnnxSharp's protobuf message types. Every kind has the same interface:
/// <list type="bullet">
/// <item>Input <see cref="FeaturesName"/>: float [N, inputs], N a symbolic batch dimension.</item>
/// <item>Output <see cref="ProbabilitiesName"/>: float [N, classes], the softmax of the logits.</item>
/// <item>Output <see cref="LabelName"/>: int64 [N], the arg-max of the probabilities (ties pick the lowest class).</item>
/// </list>
/// One float initialiser per tensor of the architecture's <see cref="ModelArchitecture.Layout"/>,
/// under its name, with its shape, in the layout's order; the kind adds the nodes from the features
/// to the logits (<see cref="Models.Kinds.IModelKind.AddOnnxNodes"/>), this class the softmax and the arg-max.
/// </summary>
public static class OnnxModelExporter
{
    public const string FeaturesName = "features";
    public const string ProbabilitiesName = "probabilities";
    public const string LabelName = "label";

    /// <summary>The default-domain operator set the graph is written against.</summary>
    public const long OpsetVersion = 17;

    /// <summary>The ONNX IR version matching <see cref="OpsetVersion"/> (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    public const string ProducerName = "FLOps.Orleans";

    private const string BatchDimension = "N";

    public static byte[] Export(ModelArchitecture architecture, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (parameters.Length != architecture.ParameterCount)
        {
            throw new ArgumentException(
                $"{architecture} has {architecture.ParameterCount} parameters, but {parameters.Length} were given.",
                nameof(parameters));
        }

        var kind = architecture.Kind;
        var graph = new GraphProto { Name = $"flops_{kind.Name}" };
        graph.Input.Add(OnnxNodes.TensorValue(FeaturesName, TensorProto.Types.DataType.Float, BatchDimension, architecture.InputCount));

        var layout = architecture.Layout;
        for (var i = 0; i < layout.Tensors.Count; i++)
        {
            var tensor = layout.Tensors[i];
            graph.Initializer.Add(OnnxNodes.FloatTensor(tensor.Name, layout.Slice(parameters, i), tensor.Shape.Select(dimension => (long)dimension)));
        }

        var logits = kind.AddOnnxNodes(graph, architecture);
        graph.Node.Add(OnnxNodes.Node("softmax", "Softmax", [logits], [ProbabilitiesName], OnnxNodes.IntAttribute("axis", 1)));
        graph.Node.Add(OnnxNodes.Node("argmax", "ArgMax", [ProbabilitiesName], [LabelName], OnnxNodes.IntAttribute("axis", 1), OnnxNodes.IntAttribute("keepdims", 0)));

        graph.Output.Add(OnnxNodes.TensorValue(ProbabilitiesName, TensorProto.Types.DataType.Float, BatchDimension, architecture.ClassCount));
        graph.Output.Add(OnnxNodes.TensorValue(LabelName, TensorProto.Types.DataType.Int64, BatchDimension));

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxModelExporter).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            ModelVersion = 1,
            DocString = $"{architecture}: {kind.Description}. Parameters: {layout}.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
        return model.ToByteArray();
    }
}
