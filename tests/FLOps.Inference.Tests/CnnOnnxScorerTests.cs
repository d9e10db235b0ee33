using FLOps.Learning.Data;
using FLOps.Learning.Models.Cnn;

namespace FLOps.Inference.Tests;

/// <summary>The CNN's ONNX export, scored by ML.NET (ONNX Runtime), against our own forward pass.</summary>
public sealed class CnnOnnxScorerTests
{
    private const double ScoreTolerance = 1e-4;

    /// <summary>The reference architecture after one short epoch, so predictions are confident and varied.</summary>
    private static readonly Lazy<float[]> s_trained = new(() =>
    {
        var architecture = CnnArchitecture.Mnist;
        var parameters = CnnNetwork.Initialize(architecture, seed: 1);
        var train = Mnist.Load().Train.Select([.. Enumerable.Range(0, 1000)]);
        CnnTrainer.Train(architecture, parameters, train, new CnnTrainingOptions(Epochs: 1, BatchSize: 32, LearningRate: 0.05f, Seed: 1, Threads: 2));
        return parameters;
    });

    [Fact]
    public void PredictAll_matches_our_forward_pass_within_1e_4()
    {
        var architecture = CnnArchitecture.Mnist;
        var parameters = s_trained.Value;
        var test = Mnist.Load().Test.Select([.. Enumerable.Range(0, 300)]);
        using var scorer = new OnnxModelScorer(CnnOnnxExporter.Export(architecture, parameters), architecture.InputCount, architecture.ClassCount);
        var network = new CnnNetwork(architecture, maxBatchSize: 64);
        var logits = new float[test.Count * architecture.ClassCount];
        network.Logits(parameters, test.Features, logits);

        var predictions = scorer.PredictAll(test);

        Assert.Equal(test.Count, predictions.Count);
        var labels = new HashSet<int>();
        var worst = 0.0;
        for (var i = 0; i < test.Count; i++)
        {
            var expected = Softmax(logits.AsSpan(i * 10, 10));
            for (var c = 0; c < 10; c++)
            {
                worst = Math.Max(worst, Math.Abs(expected[c] - predictions[i].Scores[c]));
            }

            Assert.Equal(Array.IndexOf(expected, expected.Max()), predictions[i].Label);
            labels.Add(predictions[i].Label);
        }

        Assert.True(worst <= ScoreTolerance, $"largest probability difference {worst}");
        Assert.Equal(10, labels.Count);
    }

    [Fact]
    public void Ml_net_accuracy_equals_ours()
    {
        var architecture = CnnArchitecture.Mnist;
        var parameters = s_trained.Value;
        var test = Mnist.Load().Test;
        using var scorer = new OnnxModelScorer(CnnOnnxExporter.Export(architecture, parameters), architecture.InputCount, architecture.ClassCount);

        var theirs = scorer.Evaluate(test);
        var ours = new CnnNetwork(architecture, maxBatchSize: 250).Evaluate(parameters, test);

        Assert.True(ours.Accuracy > 0.8, $"accuracy {ours.Accuracy}");
        Assert.Equal(ours.Accuracy, theirs.MicroAccuracy, 10);
        Assert.Equal(ours.LogLoss, theirs.LogLoss, 1e-4);
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var z in logits)
        {
            max = Math.Max(max, z);
        }

        var exp = new double[logits.Length];
        for (var c = 0; c < logits.Length; c++)
        {
            exp[c] = Math.Exp(logits[c] - max);
        }

        var sum = exp.Sum();
        return [.. exp.Select(e => e / sum)];
    }
}
