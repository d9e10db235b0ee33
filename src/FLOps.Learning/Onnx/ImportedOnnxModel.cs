using System.Globalization;
using System.Runtime.InteropServices;
using FLOps.Learning.Models;
using Google.Protobuf;
using Onnx;

namespace FLOps.Learning.Onnx;

/// <summary>
/// A classifier written by another framework (PyTorch's <c>torch.onnx.export</c>, tf2onnx…), made
/// ready to federate. Its trainable parameters are the graph's float initialisers, in the graph's
/// order, under their own names: that is the <see cref="Layout"/> learners train and rounds
/// aggregate. Its <see cref="Graph"/> is the user's graph behind the interface every FLOps model
/// has (<see cref="OnnxModelExporter"/>), so that scoring, <c>/predict</c> and held-out evaluation
/// treat it like a built-in kind:
/// <list type="bullet">
/// <item>the input <see cref="OnnxModelExporter.FeaturesName"/> float [N, features] is reshaped to
/// the graph's own input (e.g. [N, 1, 28, 28]);</item>
/// <item>the graph's first output is read as logits [N, classes], and <see cref="OnnxModelExporter.ProbabilitiesName"/>
/// is its softmax (the output itself when a Softmax node makes it), <see cref="OnnxModelExporter.LabelName"/> the arg-max.</item>
/// </list>
/// </summary>
public sealed class ImportedOnnxModel
{
    /// <summary>The name of this kind of model in specs (<c>model.kind</c>).</summary>
    public const string KindName = "onnx";

    /// <summary>Reshape needs its shape as an input, which opset 5 introduced.</summary>
    public const long MinimumOpset = 5;

    private const string InputShapeName = "flops_input_shape";
    private const string BatchDimension = "N";

    private ImportedOnnxModel(byte[] graph, ParameterLayout layout, float[] parameters, int featureCount, int classCount)
    {
        Graph = graph;
        Layout = layout;
        InitialParameters = parameters;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>The model behind FLOps' interface, holding the uploaded values of its parameters.</summary>
    public byte[] Graph { get; }

    public ParameterLayout Layout { get; }

    /// <summary>The uploaded values, laid out as <see cref="Layout"/>: the project's first global model.</summary>
    public float[] InitialParameters { get; }

    /// <summary>Features per sample: the graph input's size without its batch dimension.</summary>
    public int FeatureCount { get; }

    public int ClassCount { get; }

    /// <summary>Reads an uploaded ONNX model and checks it can be federated.</summary>
    /// <exception cref="OnnxImportException">Why it cannot, in one sentence for the uploader.</exception>
    public static ImportedOnnxModel Import(ReadOnlySpan<byte> onnx, long maxParameters)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(onnx);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"the file is not an ONNX model: its protobuf does not parse ({e.Message})");
        }

        var graph = model.Graph;
        if (graph is null || graph.Node.Count == 0)
        {
            throw new OnnxImportException("the ONNX model has no graph (no nodes)");
        }

        var opset = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx")?.Version ?? 0;
        if (opset < MinimumOpset)
        {
            throw new OnnxImportException(Invariant($"the graph imports opset {opset} of the default domain; FLOps needs {MinimumOpset} or later (export with a newer opset)"));
        }

        var (layout, parameters) = ReadParameters(graph, maxParameters);
        var input = TheInput(graph);
        var featureShape = FeatureShape(input);
        var featureCount = checked((int)featureShape.Aggregate(1L, (product, d) => checked(product * d)));
        var output = graph.Output.FirstOrDefault() ?? throw new OnnxImportException("the graph has no output");
        var classCount = ClassesOf(output);

        Normalize(graph, input.Name, featureShape, featureCount, output.Name, classCount);
        return new ImportedOnnxModel(model.ToByteArray(), layout, parameters, featureCount, classCount);
    }

    /// <summary>
    /// <paramref name="graph"/> (a <see cref="Graph"/>) with <paramref name="parameters"/> in place of
    /// its parameters: the trained model, ready to score or to download.
    /// </summary>
    /// <exception cref="ArgumentException">The parameters are not as many as the graph's.</exception>
    public static byte[] WithParameters(ReadOnlySpan<byte> graph, ReadOnlySpan<float> parameters)
    {
        var model = ModelProto.Parser.ParseFrom(graph);
        var offset = 0;
        foreach (var tensor in ParameterInitializers(model.Graph))
        {
            var count = checked((int)ElementCount(tensor));
            if (offset + count > parameters.Length)
            {
                break;
            }

            tensor.FloatData.Clear();
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(parameters.Slice(offset, count)));
            offset += count;
        }

        var total = ParameterInitializers(model.Graph).Sum(ElementCount);
        if (offset != parameters.Length || offset != total)
        {
            throw new ArgumentException(Invariant($"The graph has {total} parameters, but {parameters.Length} were given."), nameof(parameters));
        }

        return model.ToByteArray();
    }

    /// <summary>
    /// The trainable tensors: float initialisers with at least one element, in the graph's order.
    /// Integer initialisers (shapes, indices) are constants of the graph, not parameters.
    /// </summary>
    private static IEnumerable<TensorProto> ParameterInitializers(GraphProto graph) =>
        graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && ElementCount(t) > 0);

    private static long ElementCount(TensorProto tensor) => tensor.Dims.Aggregate(1L, (product, d) => d < 0 ? 0 : checked(product * d));

    private static (ParameterLayout Layout, float[] Parameters) ReadParameters(GraphProto graph, long maxParameters)
    {
        var tensors = ParameterInitializers(graph).ToList();
        if (tensors.Count == 0)
        {
            throw new OnnxImportException("the graph has no float initializers, so nothing to train (export with export_params=True)");
        }

        if (tensors.FirstOrDefault(t => t.DataLocation == TensorProto.Types.DataLocation.External) is { } external)
        {
            throw new OnnxImportException($"initializer '{external.Name}' keeps its values in an external file; export the model with its weights inside");
        }

        var total = 0L;
        foreach (var tensor in tensors)
        {
            total = checked(total + ElementCount(tensor));
            if (total > maxParameters)
            {
                throw new OnnxImportException(Invariant($"the graph has more than {maxParameters} parameters, the service's limit"));
            }
        }

        var parameters = new float[total];
        var layout = new List<ParameterTensor>(tensors.Count);
        var offset = 0;
        foreach (var tensor in tensors)
        {
            var count = (int)ElementCount(tensor);
            var target = parameters.AsSpan(offset, count);
            if (tensor.FloatData.Count == count)
            {
                for (var i = 0; i < count; i++)
                {
                    target[i] = tensor.FloatData[i];
                }
            }
            else if (tensor.RawData.Length == count * sizeof(float))
            {
                MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).CopyTo(target);
            }
            else
            {
                throw new OnnxImportException(Invariant($"initializer '{tensor.Name}' has shape [{string.Join(", ", tensor.Dims)}] but holds {Math.Max(tensor.FloatData.Count, tensor.RawData.Length / sizeof(float))} values"));
            }

            if (FirstNotFinite(target) is { } bad)
            {
                throw new OnnxImportException(Invariant($"initializer '{tensor.Name}' holds {target[bad]} at index {bad}; parameters must be finite"));
            }

            // A scalar is a tensor of one element to learners; its ONNX dims are kept as they are.
            layout.Add(new ParameterTensor(tensor.Name, tensor.Dims.Count == 0 ? [1] : [.. tensor.Dims.Select(d => checked((int)d))]));
            offset += count;
        }

        if (layout.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count() != layout.Count)
        {
            throw new OnnxImportException("two float initializers share a name; every parameter tensor needs its own");
        }

        return (new ParameterLayout(layout), parameters);
    }

    private static int? FirstNotFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>The one input that is not an initialiser (older exporters list initialisers as inputs too).</summary>
    private static ValueInfoProto TheInput(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new OnnxImportException(Invariant($"the graph must take one input, the features of a batch; it takes {inputs.Count}{(inputs.Count > 0 ? ": " + string.Join(", ", inputs.Select(i => i.Name)) : "")}"));
        }

        return inputs[0];
    }

    /// <summary>The input's dimensions after the batch dimension, each of a known size.</summary>
    private static long[] FeatureShape(ValueInfoProto input)
    {
        var tensor = input.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new OnnxImportException($"the input '{input.Name}' must be a float tensor");
        }

        var dims = tensor.Shape?.Dim;
        if (dims is null || dims.Count < 2)
        {
            throw new OnnxImportException($"the input '{input.Name}' must have a batch dimension first and the features after it, e.g. [N, 1, 28, 28]");
        }

        var features = dims.Skip(1).Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : 0).ToArray();
        if (features.Any(d => d <= 0))
        {
            throw new OnnxImportException($"the input '{input.Name}' has a dimension of unknown size after the batch dimension; export with fixed sizes except the batch");
        }

        var count = features.Aggregate(1L, (product, d) => product * d);
        return count > int.MaxValue
            ? throw new OnnxImportException(Invariant($"the input '{input.Name}' has {count} features per sample, more than a model can take"))
            : features;
    }

    private static int ClassesOf(ValueInfoProto output)
    {
        var tensor = output.Type?.TensorType;
        var dims = tensor?.Shape?.Dim;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float || dims is null || dims.Count != 2
            || dims[1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[1].DimValue is < 2 or > int.MaxValue)
        {
            throw new OnnxImportException($"the first output '{output.Name}' must be float [N, classes] with a known number of classes (at least 2): the logits or probabilities of a classifier");
        }

        return (int)dims[1].DimValue;
    }

    private static void Normalize(GraphProto graph, string input, long[] featureShape, int featureCount, string output, int classCount)
    {
        string[] interfaceNames = [OnnxModelExporter.FeaturesName, OnnxModelExporter.ProbabilitiesName, OnnxModelExporter.LabelName, InputShapeName];
        foreach (var clash in graph.Initializer.Where(t => interfaceNames.Contains(t.Name, StringComparer.Ordinal)).ToList())
        {
            // A parameter keeps its name, which learners know it by; a constant (such as the shape
            // in a model downloaded from FLOps and uploaded again) can take another.
            if (clash.DataType == (int)TensorProto.Types.DataType.Float)
            {
                throw new OnnxImportException($"the graph has a parameter named '{clash.Name}', a name FLOps' model interface needs; rename it");
            }

            RenameValue(graph, clash.Name, "user_" + clash.Name);
            clash.Name = "user_" + clash.Name;
        }

        // Node names are unique in a graph: the user's that carry one of the interface's nodes' names change.
        string[] interfaceNodes = ["flops_reshape_features", "flops_probabilities", "flops_label"];
        var nodeNames = graph.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => interfaceNodes.Contains(n.Name, StringComparer.Ordinal)))
        {
            var name = "user_" + node.Name;
            while (nodeNames.Contains(name))
            {
                name = "user_" + name;
            }

            nodeNames.Add(name);
            node.Name = name;
        }

        // The user's values that carry an interface name get another one, so that the interface's are free.
        foreach (var name in interfaceNames)
        {
            RenameValue(graph, name, "user_" + name);
            input = input == name ? "user_" + name : input;
            output = output == name ? "user_" + name : output;
        }

        // The features are the only input: initialisers that older exporters list as inputs too would
        // be inputs ML.NET asks every row for, so they stay initialisers only.
        graph.Input.Clear();
        graph.Input.Add(OnnxNodes.TensorValue(OnnxModelExporter.FeaturesName, TensorProto.Types.DataType.Float, BatchDimension, featureCount));

        var shape = new TensorProto { Name = InputShapeName, DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(featureShape.Length + 1);
        shape.Int64Data.Add(-1);
        shape.Int64Data.AddRange(featureShape);
        graph.Initializer.Add(shape);
        graph.Node.Insert(0, OnnxNodes.Node(interfaceNodes[0], "Reshape", [OnnxModelExporter.FeaturesName, InputShapeName], [input]));

        if (IsSoftmax(graph, output))
        {
            graph.Node.Add(OnnxNodes.Node(interfaceNodes[1], "Identity", [output], [OnnxModelExporter.ProbabilitiesName]));
        }
        else
        {
            // Logits, or log-probabilities (LogSoftmax), whose softmax is the probabilities exactly.
            graph.Node.Add(OnnxNodes.Node(interfaceNodes[1], "Softmax", [output], [OnnxModelExporter.ProbabilitiesName], OnnxNodes.IntAttribute("axis", 1)));
        }

        graph.Node.Add(OnnxNodes.Node(interfaceNodes[2], "ArgMax", [OnnxModelExporter.ProbabilitiesName], [OnnxModelExporter.LabelName], OnnxNodes.IntAttribute("axis", 1), OnnxNodes.IntAttribute("keepdims", 0)));
        graph.Output.Clear();
        graph.Output.Add(OnnxNodes.TensorValue(OnnxModelExporter.ProbabilitiesName, TensorProto.Types.DataType.Float, BatchDimension, classCount));
        graph.Output.Add(OnnxNodes.TensorValue(OnnxModelExporter.LabelName, TensorProto.Types.DataType.Int64, BatchDimension));
    }

    /// <summary>Whether a Softmax node makes the value, directly or through Identity nodes.</summary>
    private static bool IsSoftmax(GraphProto graph, string value)
    {
        for (var hops = 0; hops <= graph.Node.Count; hops++)
        {
            var producer = graph.Node.LastOrDefault(n => n.Output.Contains(value));
            if (producer?.OpType != "Identity" || producer.Input.Count != 1)
            {
                return producer?.OpType == "Softmax";
            }

            value = producer.Input[0];
        }

        return false;
    }

    /// <summary>Renames a value (not an initialiser) wherever the graph names it: node inputs and outputs, graph inputs, outputs and value infos.</summary>
    private static void RenameValue(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = node.Input[i] == from ? to : node.Input[i];
            }

            for (var i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = node.Output[i] == from ? to : node.Output[i];
            }
        }

        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.Name == from))
        {
            value.Name = to;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
