using System.Diagnostics.CodeAnalysis;

namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// The kinds of model the service trains. The spec validator, the learner's task check, the CLI's
/// help and the tests read this list, so a kind added here is known everywhere at once.
/// </summary>
public static class ModelCatalog
{
    /// <summary>Every kind, in the order help texts and error messages name them. A new kind is one line here.</summary>
    public static IReadOnlyList<IModelKind> Kinds { get; } = Array.AsReadOnly<IModelKind>(
    [
        SoftmaxKind.Instance,
        MlpKind.Instance,
        CnnKind.Instance,
    ]);

    /// <summary>The kinds' names, as <c>model.kind</c> spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Kinds.Select(kind => kind.Name).ToArray());

    /// <summary>The names for a message: <c>softmax, mlp, cnn</c>.</summary>
    public static string NameList { get; } = string.Join(", ", Names);

    /// <summary>The kind named <paramref name="name"/> (case-insensitive), or <see langword="null"/> when there is none.</summary>
    public static IModelKind? Find(string? name) =>
        name is null ? null : Kinds.FirstOrDefault(kind => string.Equals(kind.Name, name, StringComparison.OrdinalIgnoreCase));

    public static bool TryFind(string? name, [NotNullWhen(true)] out IModelKind? kind)
    {
        kind = Find(name);
        return kind is not null;
    }

    /// <summary>The model of kind <paramref name="name"/> at <paramref name="size"/>.</summary>
    /// <exception cref="ArgumentException">No kind has that name (the message lists the known ones), or the sizes are not a model of it.</exception>
    public static ModelArchitecture Architecture(string? name, ModelSize size) =>
        new(Find(name) ?? throw new ArgumentException($"Unknown model kind '{name}'; known: {NameList}.", nameof(name)), size);
}
