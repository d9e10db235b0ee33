using FLOps.Learning.Models;
using Google.Protobuf;
using Onnx;

namespace FLOps.Learning.Onnx;

/// <summary>
/// Writes a model as an ONNX graph (opset <see cref="OpsetVersion"/>, IR version <see cref="IrVersion"/>),
/// built from OnnxSharp's protobuf message types.
/// <list type="bullet">
/// <item>Input <see cref="FeaturesName"/>: float [N, inputs], N a symbolic batch dimension.</item>
/// <item>Output <see cref="ProbabilitiesName"/>: float [N, classes], the softmax of the logits.</item>
/// <item>Output <see cref="LabelName"/>: int64 [N], the arg-max of the probabilities (ties pick the lowest class).</item>
/// </list>
/// Softmax models are <c>Gemm(features, W, b, transB=1) → Softmax(axis=1)</c>; MLP models are
/// <c>Gemm → Relu → Gemm → Softmax</c>. The weight initialisers keep the flat parameter layout of
/// <see cref="ModelArchitecture"/> ([out × in] row-major), which is why Gemm transposes B.
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
                $"A {architecture.Kind} model with {architecture.InputCount} inputs and {architecture.ClassCount} classes has "
                + $"{architecture.ParameterCount} parameters, but {parameters.Length} were given.",
                nameof(parameters));
        }

        var graph = new GraphProto { Name = $"flops_{architecture.Kind.ToString().ToLowerInvariant()}" };
        graph.Input.Add(TensorValue(FeaturesName, TensorProto.Types.DataType.Float, architecture.InputCount));

        var inputs = architecture.InputCount;
        var classes = architecture.ClassCount;
        string logits;
        switch (architecture.Kind)
        {
            case ModelKind.Softmax:
                {
                    var offset = 0;
                    graph.Initializer.Add(FloatTensor("W", parameters.Slice(offset, classes * inputs), classes, inputs));
                    offset += classes * inputs;
                    graph.Initializer.Add(FloatTensor("b", parameters.Slice(offset, classes), classes));
                    logits = "logits";
                    graph.Node.Add(Gemm("gemm", FeaturesName, "W", "b", logits));
                    break;
                }

            case ModelKind.Mlp:
                {
                    var hidden = architecture.HiddenCount;
                    ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden, nameof(architecture));
                    var offset = 0;
                    graph.Initializer.Add(FloatTensor("W1", parameters.Slice(offset, hidden * inputs), hidden, inputs));
                    offset += hidden * inputs;
                    graph.Initializer.Add(FloatTensor("b1", parameters.Slice(offset, hidden), hidden));
                    offset += hidden;
                    graph.Initializer.Add(FloatTensor("W2", parameters.Slice(offset, classes * hidden), classes, hidden));
                    offset += classes * hidden;
                    graph.Initializer.Add(FloatTensor("b2", parameters.Slice(offset, classes), classes));
                    graph.Node.Add(Gemm("gemm1", FeaturesName, "W1", "b1", "hidden_linear"));
                    graph.Node.Add(new NodeProto { Name = "relu", OpType = "Relu", Input = { "hidden_linear" }, Output = { "hidden" } });
                    logits = "logits";
                    graph.Node.Add(Gemm("gemm2", "hidden", "W2", "b2", logits));
                    break;
                }

            default:
                throw new ArgumentException($"Unknown model kind {architecture.Kind}.", nameof(architecture));
        }

        AddProbabilitiesAndLabel(graph, logits, classes);
        return Serialize(
            graph,
            $"{architecture.Kind} classifier: {inputs} inputs, {classes} classes"
                + (architecture.Kind == ModelKind.Mlp ? $", {architecture.HiddenCount} hidden units." : "."));
    }

    /// <summary>Adds the interface's outputs to a graph that computes <paramref name="logits"/> [N, classes]: Softmax(axis=1) and ArgMax(axis=1).</summary>
    internal static void AddProbabilitiesAndLabel(GraphProto graph, string logits, int classes)
    {
        graph.Node.Add(new NodeProto
        {
            Name = "softmax",
            OpType = "Softmax",
            Input = { logits },
            Output = { ProbabilitiesName },
            Attribute = { IntAttribute("axis", 1) },
        });
        graph.Node.Add(new NodeProto
        {
            Name = "argmax",
            OpType = "ArgMax",
            Input = { ProbabilitiesName },
            Output = { LabelName },
            Attribute = { IntAttribute("axis", 1), IntAttribute("keepdims", 0) },
        });

        graph.Output.Add(TensorValue(ProbabilitiesName, TensorProto.Types.DataType.Float, classes));
        graph.Output.Add(TensorValue(LabelName, TensorProto.Types.DataType.Int64));
    }

    /// <summary>Wraps a graph in a model with this exporter's IR version, opset and producer.</summary>
    internal static byte[] Serialize(GraphProto graph, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxModelExporter).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            ModelVersion = 1,
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
        return model.ToByteArray();
    }

    internal static NodeProto Gemm(string name, string a, string b, string c, string output) => new()
    {
        Name = name,
        OpType = "Gemm",
        Input = { a, b, c },
        Output = { output },
        Attribute = { IntAttribute("transB", 1) },
    };

    internal static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (var dim in dims)
        {
            tensor.Dims.Add(dim);
        }

        tensor.FloatData.Capacity = values.Length;
        foreach (var value in values)
        {
            tensor.FloatData.Add(value);
        }

        return tensor;
    }

    /// <summary>A tensor value of shape [N] or [N, columns], N being the symbolic batch dimension.</summary>
    internal static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType type, int? columns = null)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        if (columns is { } width)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
