using FLOps.Learning.Data;

namespace FLOps.Inference;

/// <param name="Label">The most probable class.</param>
/// <param name="Scores">Class probabilities, indexed by class.</param>
public sealed record Prediction(int Label, float[] Scores);

/// <summary>ML.NET's multiclass metrics over a labelled dataset.</summary>
public sealed record MulticlassEvaluation(double MicroAccuracy, double MacroAccuracy, double LogLoss, int Count);

/// <summary>Scores an ONNX model through ML.NET's <c>ApplyOnnxModel</c>.</summary>
public sealed class OnnxModelScorer : IDisposable
{
    public OnnxModelScorer(byte[] onnxModel, int featureCount, int classCount) => throw new NotImplementedException();

    public Prediction Predict(ReadOnlySpan<float> features) => throw new NotImplementedException();

    public IReadOnlyList<Prediction> PredictAll(Dataset data) => throw new NotImplementedException();

    /// <summary>Accuracy and log-loss by ML.NET's <c>MulticlassClassification.Evaluate</c>.</summary>
    public MulticlassEvaluation Evaluate(Dataset data) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
