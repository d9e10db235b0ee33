namespace FLOps.Learning.Training;

/// <param name="Epochs">Passes over the local data.</param>
/// <param name="BatchSize">Samples per SGD step.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Seed">Seeds the shuffling of samples, so that a run is reproducible.</param>
/// <param name="ProximalMu">FedProx: weight of (mu/2)·||w − w_global||² added to the local loss; 0 disables it.</param>
public sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, int Seed, float ProximalMu = 0f);

/// <param name="AverageLoss">Mean cross-entropy over the samples seen in the last epoch.</param>
/// <param name="SampleCount">Local samples trained on (the FedAvg weight).</param>
/// <param name="Steps">SGD steps taken.</param>
public sealed record TrainingReport(double AverageLoss, int SampleCount, int Steps);
