namespace FLOps.Learning.Training;

/// <param name="Epochs">Passes over the local data.</param>
/// <param name="BatchSize">Samples per SGD step.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Seed">Seeds the shuffling of samples, so that a run is reproducible.</param>
/// <param name="ProximalMu">FedProx: weight of (mu/2)·||w − w_global||² added to the local loss; 0 disables it.</param>
/// <param name="Momentum">
/// Heavy-ball momentum in [0, 1), PyTorch's convention: v ← momentum·v + g, w ← w − lr·v, the
/// velocity starting at zero in every call as a fresh optimiser does each round; 0 is plain SGD.
/// </param>
/// <param name="Threads">
/// Threads one batch may use, for kinds that split a batch (<c>cnn</c>); results do not depend on it.
/// 1 by default: a silo trains many devices at once, which keeps its cores busy already.
/// </param>
public sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, int Seed, float ProximalMu = 0f, float Momentum = 0f, int Threads = 1);

/// <param name="AverageLoss">Mean cross-entropy over the samples seen in the last epoch.</param>
/// <param name="SampleCount">Local samples trained on (the FedAvg weight).</param>
/// <param name="Steps">SGD steps taken.</param>
public sealed record TrainingReport(double AverageLoss, int SampleCount, int Steps);
