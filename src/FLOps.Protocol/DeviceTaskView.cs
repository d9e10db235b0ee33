namespace FLOps.Protocol;

/// <summary>
/// A task as a learner agent receives it. The update must name <see cref="TaskId"/> and
/// <see cref="ModelHash"/>, so that it can only count for the task it was trained for.
/// <see cref="Layout"/> names the tensors of the <see cref="ParameterCount"/> float32 of the model
/// and of the update, in their order, so that a learner in any framework maps them onto its model.
/// </summary>
/// <remarks><see cref="Layout"/> and <see cref="Momentum"/> came last and have defaults, so a task from an older gateway still reads (plain SGD).</remarks>
public sealed record DeviceTaskView(
    string TaskId,
    string ProjectId,
    int Round,
    string ModelHash,
    int ParameterCount,
    TaskModelView Model,
    int LocalEpochs,
    int BatchSize,
    double LearningRate,
    double ProximalMu,
    int Seed,
    IReadOnlyList<TensorView>? Layout = null,
    double Momentum = 0);
