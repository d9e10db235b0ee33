using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Training;

namespace FLOps.Grains.Services;

/// <summary>
/// The CPU-heavy work of grains, run on the thread pool so that no grain turn is blocked
/// and the silo keeps answering messages while devices train.
/// </summary>
public interface ILocalTrainingService
{
    Task<TrainingReport> TrainAsync(
        string deviceId, ModelArchitecture architecture, float[] parameters, Dataset data, TrainingOptions options, CancellationToken cancellationToken);

    Task<EvaluationResult> EvaluateAsync(ModelArchitecture architecture, float[] parameters, Dataset data, CancellationToken cancellationToken);
}

public sealed class ThreadPoolTrainingService : ILocalTrainingService
{
    public Task<TrainingReport> TrainAsync(
        string deviceId, ModelArchitecture architecture, float[] parameters, Dataset data, TrainingOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => LocalTrainer.Train(architecture, parameters, data, options, cancellationToken), cancellationToken);

    public Task<EvaluationResult> EvaluateAsync(ModelArchitecture architecture, float[] parameters, Dataset data, CancellationToken cancellationToken) =>
        Task.Run(() => ModelEvaluator.Evaluate(architecture, parameters, data), cancellationToken);
}

public static class HeldOutEvaluation
{
    /// <summary>A global model scored on the held-out set of the project's data, or <see langword="null"/> when that data has none.</summary>
    public static async Task<EvaluationResult?> EvaluateHeldOutAsync(this ILocalTrainingService compute, ISimulatedDataCatalog data, ProjectSpec spec, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        return data.GetEvaluationSet(spec.DataTag) is { } evaluationSet
            ? await compute.EvaluateAsync(ProjectSpecValidator.ArchitectureOf(spec.Model), parameters, evaluationSet, CancellationToken.None)
            : null;
    }
}
