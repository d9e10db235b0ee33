namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// Local training that suits a kind on the bundled MNIST digits: what <c>flops demo --model</c>
/// trains it with unless its options say otherwise. Specs do not read it: their defaults are the
/// contract's, the same for every kind.
/// </summary>
/// <param name="LocalEpochs">Passes over its shard each device makes per round.</param>
/// <param name="BatchSize">Samples per SGD step.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Momentum">Momentum of SGD (PyTorch's convention); 0 for plain SGD.</param>
public sealed record SuggestedTraining(int LocalEpochs, int BatchSize, double LearningRate, double Momentum = 0);
