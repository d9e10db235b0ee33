using Onnx;

namespace FLOps.Learning.Onnx;

/// <summary>Small builders of ONNX protobuf messages, for the exporter and the graphs of the model kinds.</summary>
public static class OnnxNodes
{
    /// <summary>A node of the default domain.</summary>
    public static NodeProto Node(string name, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, params IEnumerable<AttributeProto> attributes)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>output = a·bᵀ + c: the weights <paramref name="b"/> are [out × in] row-major, as the parameter layouts keep them.</summary>
    public static NodeProto Gemm(string name, string a, string b, string c, string output) =>
        Node(name, "Gemm", [a, b, c], [output], IntAttribute("transB", 1));

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A one-dimensional int64 constant, such as the target shape of a Reshape.</summary>
    public static TensorProto Int64Tensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    public static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, IEnumerable<long> dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.Capacity = values.Length;
        foreach (var value in values)
        {
            tensor.FloatData.Add(value);
        }

        return tensor;
    }

    /// <summary>A tensor value of shape [<paramref name="batchDimension"/>] or [<paramref name="batchDimension"/>, columns].</summary>
    public static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType type, string batchDimension, int? columns = null)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchDimension });
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
