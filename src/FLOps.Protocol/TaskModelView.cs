namespace FLOps.Protocol;

/// <summary>The architecture a task trains: <c>softmax</c> or <c>mlp</c>, with its sizes resolved.</summary>
public sealed record TaskModelView(string Kind, int? Inputs, int? Classes, int? HiddenUnits);
