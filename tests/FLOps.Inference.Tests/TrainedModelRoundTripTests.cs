using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using FLOps.Learning.Training;

namespace FLOps.Inference.Tests;

/// <summary>
/// The model a project delivers is the ONNX export scored by ML.NET; it must predict exactly what
/// the in-process model the rounds evaluated predicts, for every kind of <see cref="ModelCatalog"/>.
/// </summary>
[Collection(OnnxModelScorerTests.ScorerFiles)]
public sealed class TrainedModelRoundTripTests
{
    public static TheoryData<string> Kinds => [.. ModelCatalog.Names];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MlNet_predicts_what_the_in_process_model_predicts_on_the_whole_test_split(string kind)
    {
        var (train, test) = Mnist.Load();
        var architecture = ModelCatalog.Architecture(kind, new ModelSize(Mnist.FeatureCount, Mnist.ClassCount));
        var parameters = ModelInitializer.Create(architecture, seed: 3);
        // SGD with momentum, which brings every kind (the cnn too) well past the bar below in one epoch.
        LocalTrainer.Train(architecture, parameters, train.Select([.. Enumerable.Range(0, 2000)]), new TrainingOptions(1, 32, 0.05f, Seed: 3, Momentum: 0.9f));
        using var scorer = new OnnxModelScorer(OnnxModelExporter.Export(architecture, parameters), Mnist.FeatureCount, Mnist.ClassCount);

        var mlNet = scorer.PredictAll(test);

        var probabilities = new float[Mnist.ClassCount];
        for (var i = 0; i < test.Count; i++)
        {
            var label = ModelEvaluator.Predict(architecture, parameters, test.Row(i), probabilities);
            Assert.Equal(label, mlNet[i].Label);
            for (var c = 0; c < Mnist.ClassCount; c++)
            {
                Assert.Equal(probabilities[c], mlNet[i].Scores[c], 1e-4);
            }
        }

        var inProcess = ModelEvaluator.Evaluate(architecture, parameters, test);
        var evaluation = scorer.Evaluate(test);
        Assert.True(inProcess.Accuracy > 0.7, $"the trained {kind} model is too weak to test with: {inProcess.Accuracy}");
        Assert.Equal(inProcess.Accuracy, evaluation.MicroAccuracy, 10);
        Assert.Equal(inProcess.LogLoss, evaluation.LogLoss, 1e-4);
    }
}
