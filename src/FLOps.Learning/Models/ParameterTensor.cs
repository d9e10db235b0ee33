using System.Globalization;

namespace FLOps.Learning.Models;

/// <summary>
/// One named tensor of a model's flat parameter vector: its elements lie there contiguously,
/// row-major (the last dimension varies fastest), as in an ONNX initialiser of the same name.
/// </summary>
/// <remarks>Two tensors are equal when their names and shapes are.</remarks>
public sealed record ParameterTensor
{
    /// <exception cref="ArgumentException">The name is blank, or the shape is empty or has a dimension below 1.</exception>
    public ParameterTensor(string name, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0)
        {
            throw new ArgumentException($"The tensor '{name}' needs at least one dimension.", nameof(shape));
        }

        var count = 1L;
        foreach (var dimension in shape)
        {
            if (dimension < 1)
            {
                throw new ArgumentException($"The tensor '{name}' has a dimension of {dimension}; every dimension must be at least 1.", nameof(shape));
            }

            count = checked(count * dimension);
        }

        Name = name;
        Shape = [.. shape];
        Count = count;
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape { get; }

    /// <summary>The tensor's elements: the product of its dimensions, in 64 bits.</summary>
    public long Count { get; }

    public bool Equals(ParameterTensor? other) =>
        other is not null && Name == other.Name && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        foreach (var dimension in Shape)
        {
            hash.Add(dimension);
        }

        return hash.ToHashCode();
    }

    /// <summary>For example <c>W1[128×784]</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}[{string.Join('×', Shape)}]");
}
