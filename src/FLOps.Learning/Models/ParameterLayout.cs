namespace FLOps.Learning.Models;

/// <summary>
/// How a model's flat parameter vector is cut into named tensors: the tensors in the vector's
/// order, each right after the one before. Trainers, aggregation, the model store and learners
/// see only the flat vector; the layout says what each stretch of it is, and the ONNX export
/// writes one initialiser per tensor, in this order, under these names.
/// </summary>
/// <remarks>Two layouts are equal when they list equal tensors in the same order.</remarks>
public sealed record ParameterLayout
{
    private readonly long[] _offsets;

    /// <exception cref="ArgumentException">There are no tensors, or two share a name.</exception>
    public ParameterLayout(IReadOnlyList<ParameterTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("A layout needs at least one tensor.", nameof(tensors));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        _offsets = new long[tensors.Count];
        var offset = 0L;
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i] ?? throw new ArgumentException($"Tensor {i} is null.", nameof(tensors));
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'.", nameof(tensors));
            }

            _offsets[i] = offset;
            offset = checked(offset + tensor.Count);
        }

        Tensors = [.. tensors];
        ParameterCount = offset;
    }

    public ParameterLayout(params ParameterTensor[] tensors)
        : this((IReadOnlyList<ParameterTensor>)tensors)
    {
    }

    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>The length of the flat vector, in 64 bits, so that a size asked for can be checked before it is allocated.</summary>
    public long ParameterCount { get; }

    /// <summary>Where tensor <paramref name="index"/> starts in the flat vector.</summary>
    public long OffsetOf(int index) => _offsets[index];

    /// <summary>The elements of tensor <paramref name="index"/> in <paramref name="parameters"/>.</summary>
    public ReadOnlySpan<float> Slice(ReadOnlySpan<float> parameters, int index)
    {
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"The layout has {ParameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        return parameters.Slice((int)_offsets[index], (int)Tensors[index].Count);
    }

    public bool Equals(ParameterLayout? other) =>
        other is not null && Tensors.SequenceEqual(other.Tensors);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var tensor in Tensors)
        {
            hash.Add(tensor);
        }

        return hash.ToHashCode();
    }

    /// <summary>For example <c>W[10×784], b[10]</c>.</summary>
    public override string ToString() => string.Join(", ", Tensors);
}
