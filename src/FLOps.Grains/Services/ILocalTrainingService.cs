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
