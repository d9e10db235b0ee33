namespace FLOps.Learning.Models;

/// <summary>
/// The sizes a project spec or a task gives a model, as they come (<c>model.inputs</c>,
/// <c>model.classes</c>, <c>model.hiddenUnits</c>). Which of them a kind reads, and what it takes
/// when one is left out, is the kind's business: see <see cref="Kinds.IModelKind.Normalize"/>.
/// </summary>
/// <param name="Inputs">Features per sample.</param>
/// <param name="Classes">Classes the model tells apart.</param>
/// <param name="HiddenUnits">Width of a hidden layer, for the kinds that have one.</param>
public sealed record ModelSize(int Inputs, int Classes, int? HiddenUnits = null);
