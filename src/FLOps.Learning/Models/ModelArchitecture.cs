using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Models;

/// <summary>
/// One model a project trains: a kind of <see cref="ModelCatalog"/> at given sizes. It is checked
/// when it is made, so everything that takes one (trainers, the evaluator, the ONNX export, a
/// learner's task) can rely on its <see cref="Layout"/>: the flat parameter vector every component
/// passes around is cut into exactly these tensors.
/// </summary>
/// <remarks>
/// Two architectures are equal when they are of the same kind with the same sizes, as the kind
/// normalises them: an <c>mlp</c> with no hidden units named equals one with the default width.
/// </remarks>
public sealed record ModelArchitecture
{
    /// <exception cref="ArgumentException">
    /// The sizes are not a model (no input, fewer than two classes, a size the kind cannot build), or it
    /// would have more parameters than a <see cref="float"/> array can hold.
    /// </exception>
    public ModelArchitecture(IModelKind kind, ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(size);
        if (size.Inputs <= 0)
        {
            throw new ArgumentException($"A model needs at least one input; got {size.Inputs}.", nameof(size));
        }

        if (size.Classes < 2)
        {
            throw new ArgumentException($"A classifier needs at least two classes; got {size.Classes}.", nameof(size));
        }

        Kind = kind;
        Size = kind.Normalize(size);
        Layout = kind.Layout(Size);
        if (Layout.ParameterCount > Array.MaxLength)
        {
            throw new ArgumentException($"{kind.Describe(Size)} has {Layout.ParameterCount} parameters, more than one array holds.", nameof(size));
        }

        ParameterCount = (int)Layout.ParameterCount;
    }

    public IModelKind Kind { get; }

    /// <summary>The sizes as the kind reads them, its defaults filled in.</summary>
    public ModelSize Size { get; }

    public int InputCount => Size.Inputs;

    public int ClassCount => Size.Classes;

    /// <summary>The named tensors of the flat parameter vector, in its order.</summary>
    public ParameterLayout Layout { get; }

    public int ParameterCount { get; }

    public bool Equals(ModelArchitecture? other) =>
        other is not null && ReferenceEquals(Kind, other.Kind) && Size == other.Size;

    public override int GetHashCode() => HashCode.Combine(Kind.Name, Size);

    /// <summary>For example <c>an mlp 784→128→10</c>.</summary>
    public override string ToString() => Kind.Describe(Size);
}
