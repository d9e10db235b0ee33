using FLOps.Learning.Data;
using FLOps.Learning.Models;

namespace FLOps.Learning.Evaluation;

/// <param name="Accuracy">Fraction of samples whose most probable class is the label.</param>
/// <param name="LogLoss">Mean negative log-probability of the label (natural log).</param>
/// <param name="Count">Samples evaluated.</param>
public sealed record EvaluationResult(double Accuracy, double LogLoss, int Count);

public static class ModelEvaluator
{
    public static EvaluationResult Evaluate(ModelArchitecture architecture, ReadOnlySpan<float> parameters, Dataset data) =>
        throw new NotImplementedException();

    /// <summary>Writes the class probabilities of one sample and returns the most probable class.</summary>
    public static int Predict(ModelArchitecture architecture, ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> probabilities) =>
        throw new NotImplementedException();
}
