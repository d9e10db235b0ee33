using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Onnx;

namespace FLOps.Inference.Tests;

public sealed class OnnxModelScorerTests
{
    private const double ScoreTolerance = 1e-4;

    public static TheoryData<string> Architectures => ["softmax", "mlp"];

    private static ModelArchitecture Architecture(string name) => name switch
    {
        "softmax" => ModelArchitecture.Softmax(Mnist.FeatureCount, Mnist.ClassCount),
        "mlp" => ModelArchitecture.Mlp(Mnist.FeatureCount, Mnist.ClassCount, 64),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static (ModelArchitecture Architecture, float[] Parameters, OnnxModelScorer Scorer) Create(string name, int seed = 7)
    {
        var architecture = Architecture(name);
        // N(0, 0.05) weights on 784 pixels give logits spread over a few units, so the
        // probabilities are far from uniform and the arg-max is well defined.
        var parameters = ReferenceModel.RandomParameters(architecture, seed, 0.05);
        var onnx = OnnxModelExporter.Export(architecture, parameters);
        return (architecture, parameters, new OnnxModelScorer(onnx, architecture.InputCount, architecture.ClassCount));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void PredictAll_matches_the_in_process_forward_pass_on_the_whole_test_split(string name)
    {
        var (architecture, parameters, scorer) = Create(name);
        using var _ = scorer;
        var test = Mnist.Load().Test;

        var predictions = scorer.PredictAll(test);

        Assert.Equal(test.Count, predictions.Count);
        var distinctLabels = new HashSet<int>();
        for (var i = 0; i < test.Count; i++)
        {
            var expected = ReferenceModel.Probabilities(architecture, parameters, test.Row(i));
            var prediction = predictions[i];
            Assert.Equal(Mnist.ClassCount, prediction.Scores.Length);
            for (var c = 0; c < expected.Length; c++)
            {
                Assert.True(
                    Math.Abs(expected[c] - prediction.Scores[c]) <= ScoreTolerance,
                    $"row {i} class {c}: ONNX {prediction.Scores[c]} vs reference {expected[c]}");
            }

            Assert.Equal(ReferenceModel.ArgMax(expected), prediction.Label);
            distinctLabels.Add(prediction.Label);
        }

        // The random model is not degenerate: it does not predict one class for everything.
        Assert.True(distinctLabels.Count >= 3, $"only {distinctLabels.Count} distinct predicted labels");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Evaluate_agrees_with_the_in_process_accuracy_and_log_loss(string name)
    {
        var (architecture, parameters, scorer) = Create(name);
        using var _ = scorer;
        var test = Mnist.Load().Test;

        var evaluation = scorer.Evaluate(test);

        var correct = 0;
        var logLoss = 0.0;
        var perClassCorrect = new int[Mnist.ClassCount];
        var perClassCount = new int[Mnist.ClassCount];
        for (var i = 0; i < test.Count; i++)
        {
            var probabilities = ReferenceModel.Probabilities(architecture, parameters, test.Row(i));
            var label = test.Labels[i];
            var hit = ReferenceModel.ArgMax(probabilities) == label;
            correct += hit ? 1 : 0;
            perClassCorrect[label] += hit ? 1 : 0;
            perClassCount[label]++;
            // ML.NET clamps the probability at 1e-15 before the log; none of these come close.
            logLoss -= Math.Log(Math.Max(probabilities[label], 1e-15));
        }

        Assert.Equal(test.Count, evaluation.Count);
        Assert.Equal((double)correct / test.Count, evaluation.MicroAccuracy, 10);
        var macro = Enumerable.Range(0, Mnist.ClassCount).Average(c => (double)perClassCorrect[c] / perClassCount[c]);
        Assert.Equal(macro, evaluation.MacroAccuracy, 10);
        Assert.Equal(logLoss / test.Count, evaluation.LogLoss, ScoreTolerance);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Predict_on_one_sample_equals_the_batch_row(string name)
    {
        var (_, _, scorer) = Create(name);
        using var _ = scorer;
        var test = Mnist.Load().Test;
        var batch = scorer.PredictAll(test);

        foreach (var index in new[] { 0, 1, 777, test.Count - 1 })
        {
            var single = scorer.Predict(test.Row(index));
            Assert.Equal(batch[index].Label, single.Label);
            Assert.Equal(batch[index].Scores, single.Scores);
        }
    }

    [Fact]
    public void Evaluate_on_a_small_hand_made_dataset_counts_hits_per_class()
    {
        // 2 inputs, 3 classes; logits = W·x with W rows (10, 0), (0, 10), (5, 5): x = (1, 0) is class 0, x = (0, 1) class 1.
        var architecture = ModelArchitecture.Softmax(2, 3);
        float[] parameters = [10, 0, 0, 10, 5, 5, 0, 0, 0];
        using var scorer = new OnnxModelScorer(OnnxModelExporter.Export(architecture, parameters), 2, 3);
        // Predicted: class 0, class 1, class 0, class 1; labels: 0, 1, 1, 2.
        var data = new Dataset([1, 0, 0, 1, 1, 0, 0, 1], [0, 1, 1, 2], 2, 3);

        var predictions = scorer.PredictAll(data);
        var evaluation = scorer.Evaluate(data);

        Assert.Equal([0, 1, 0, 1], predictions.Select(p => p.Label));
        Assert.Equal(0.5, evaluation.MicroAccuracy, 10);
        Assert.Equal(4, evaluation.Count);
    }

    [Fact]
    public void Rejects_data_of_the_wrong_shape_and_use_after_dispose()
    {
        var (_, _, scorer) = Create("softmax");
        Assert.Throws<ArgumentException>(() => scorer.Predict(new float[10]));
        Assert.Throws<ArgumentException>(() => scorer.PredictAll(new Dataset(new float[4], [0, 1], 2, 2)));

        scorer.Dispose();
        scorer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scorer.Predict(new float[Mnist.FeatureCount]));
    }

    [Fact]
    public void Leaves_no_temporary_model_file_behind()
    {
        static string[] ModelFiles() => Directory.GetFiles(Path.GetTempPath(), "flops-scorer-*.onnx");
        var before = ModelFiles();

        var (_, _, scorer) = Create("softmax");
        var duringUse = ModelFiles().Except(before).ToArray();
        var prediction = scorer.Predict(Mnist.Load().Test.Row(0));
        scorer.Dispose();

        Assert.Empty(duringUse);
        Assert.Equal(Mnist.ClassCount, prediction.Scores.Length);
        Assert.Empty(ModelFiles().Except(before));
    }

    [Fact]
    public void Rejects_a_model_that_does_not_match_the_shape_or_is_not_onnx()
    {
        static string[] ModelFiles() => Directory.GetFiles(Path.GetTempPath(), "flops-scorer-*.onnx");
        var before = ModelFiles();
        var architecture = ModelArchitecture.Softmax(4, 3);
        var onnx = OnnxModelExporter.Export(architecture, new float[architecture.ParameterCount]);

        Assert.Throws<ArgumentException>(() => new OnnxModelScorer(onnx, 4, 5));
        Assert.Throws<ArgumentException>(() => new OnnxModelScorer(onnx, 5, 3));
        Assert.Throws<ArgumentException>(() => new OnnxModelScorer([1, 2, 3], 4, 3));
        Assert.Empty(ModelFiles().Except(before));
    }
}
