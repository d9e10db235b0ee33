namespace FLOps.Protocol;

/// <summary>
/// The model a task trains: a built-in kind with its sizes resolved, or <c>onnx</c> with the id of
/// the uploaded graph (<see cref="ModelId"/>), whose tensors the task's layout names.
/// </summary>
public sealed record TaskModelView(string Kind, int? Inputs, int? Classes, int? HiddenUnits, string? ModelId = null);
