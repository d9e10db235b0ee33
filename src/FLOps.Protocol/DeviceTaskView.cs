namespace FLOps.Protocol;

/// <summary>
/// A task as a learner agent receives it. The update must name <see cref="TaskId"/> and
/// <see cref="ModelHash"/>, so that it can only count for the task it was trained for.
/// </summary>
/// <remarks><see cref="Momentum"/> came last and has a default, so a task from a gateway that does not send it means plain SGD.</remarks>
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
    double Momentum = 0);
