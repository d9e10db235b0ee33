using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;

namespace FLOps.Inference.Tests;

/// <remarks>
/// Every scorer writes its model to a temporary file while it is made, which
/// <see cref="Leaves_no_temporary_model_file_behind"/> would count as its own if another class made
/// scorers at the same time: the classes that make scorers share one collection, so they take turns.
/// </remarks>
[Collection(ScorerFiles)]
public sealed class OnnxModelScorerTests
{
    public const string ScorerFiles = "scorers' temporary files";

    private const double ScoreTolerance = 1e-4;

    public static TheoryData<string> Architectures => ["softmax", "mlp"];

    private static ModelArchitecture Architecture(string name) => name switch
    {
        "softmax" => SoftmaxKind.Architecture(Mnist.FeatureCount, Mnist.ClassCount),
        "mlp" => MlpKind.Architecture(Mnist.FeatureCount, Mnist.ClassCount, 64),
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
    public void Score_of_one_sample_equals_the_batch_row(string name)
    {
        var (_, _, scorer) = Create(name);
        using var _ = scorer;
        var test = Mnist.Load().Test;
        var batch = scorer.PredictAll(test);

        foreach (var index in new[] { 0, 1, 777, test.Count - 1 })
        {
            var single = Assert.IsType<Scoring.Scored>(scorer.Score(test.Row(index))).Prediction;
            Assert.Equal(batch[index].Label, single.Label);
            Assert.Equal(batch[index].Scores, single.Scores);
        }
    }

    [Fact]
    public void Evaluate_on_a_small_hand_made_dataset_counts_hits_per_class()
    {
        // 2 inputs, 3 classes; logits = W·x with W rows (10, 0), (0, 10), (5, 5): x = (1, 0) is class 0, x = (0, 1) class 1.
        var architecture = SoftmaxKind.Architecture(2, 3);
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

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void A_feature_that_is_not_finite_is_refused_with_its_index_and_the_model_is_not_run(float value)
    {
        var (_, _, scorer) = Create("softmax");
        using var _ = scorer;
        var features = Mnist.Load().Test.Row(0).ToArray();
        features[300] = value;
        features[500] = float.NaN;

        var scoring = scorer.Score(features);

        var refused = Assert.IsType<Scoring.FeatureNotFinite>(scoring);
        Assert.Equal(300, refused.Index);
        Assert.Equal(value, refused.Value);
    }

    [Fact]
    public void Scores_that_overflow_in_a_model_with_huge_weights_are_reported_as_not_finite_not_returned()
    {
        // 2 inputs, 2 classes; class 0's logit is 3e38·1 + 3e38·1, beyond float's range: +infinity, and
        // the softmax of [+infinity, 0] is NaN.
        var architecture = SoftmaxKind.Architecture(2, 2);
        float[] parameters = [3e38f, 3e38f, 0, 0, 0, 0];
        using var scorer = new OnnxModelScorer(OnnxModelExporter.Export(architecture, parameters), 2, 2);

        var overflowing = scorer.Score([1, 1]);
        var fine = scorer.Score([1e-38f, 0]);

        var notFinite = Assert.IsType<Scoring.ScoresNotFinite>(overflowing);
        Assert.Equal(0, notFinite.Class);
        Assert.False(float.IsFinite(notFinite.Value));
        Assert.All(Assert.IsType<Scoring.Scored>(fine).Prediction.Scores, score => Assert.True(float.IsFinite(score)));
    }

    [Fact]
    public void Huge_but_finite_features_that_overflow_an_ordinary_model_are_reported_as_not_finite()
    {
        var (_, parameters, scorer) = Create("softmax");
        using var _ = scorer;
        // Each feature at float's largest magnitude, with the sign of class 0's weight on it: class
        // 0's logit sums 784 positive terms of about 0.05·3.4e38 and overflows to +infinity.
        var features = new float[Mnist.FeatureCount];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = parameters[i] >= 0 ? float.MaxValue : -float.MaxValue;
        }

        var scoring = scorer.Score(features);

        Assert.IsType<Scoring.ScoresNotFinite>(scoring);
    }

    [Fact]
    public void Rejects_data_of_the_wrong_shape_and_use_after_dispose()
    {
        var (_, _, scorer) = Create("softmax");
        Assert.Throws<ArgumentException>(() => scorer.Score(new float[10]));
        Assert.Throws<ArgumentException>(() => scorer.PredictAll(new Dataset(new float[4], [0, 1], 2, 2)));

        scorer.Dispose();
        scorer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scorer.Score(new float[Mnist.FeatureCount]));
    }

    [Fact]
    public void Leaves_no_temporary_model_file_behind()
    {
        static string[] ModelFiles() => Directory.GetFiles(Path.GetTempPath(), "flops-scorer-*.onnx");
        var before = ModelFiles();

        var (_, _, scorer) = Create("softmax");
        var duringUse = ModelFiles().Except(before).ToArray();
        var scoring = scorer.Score(Mnist.Load().Test.Row(0));
        scorer.Dispose();

        Assert.Empty(duringUse);
        Assert.Equal(Mnist.ClassCount, Assert.IsType<Scoring.Scored>(scoring).Prediction.Scores.Length);
        Assert.Empty(ModelFiles().Except(before));
    }

    [Fact]
    public void Rejects_a_model_that_does_not_match_the_shape_or_is_not_onnx()
    {
        static string[] ModelFiles() => Directory.GetFiles(Path.GetTempPath(), "flops-scorer-*.onnx");
        var before = ModelFiles();
        var architecture = SoftmaxKind.Architecture(4, 3);
        var onnx = OnnxModelExporter.Export(architecture, new float[architecture.ParameterCount]);

        Assert.Throws<ArgumentException>(() => new OnnxModelScorer(onnx, 4, 5));
        Assert.Throws<ArgumentException>(() => new OnnxModelScorer(onnx, 5, 3));
        Assert.Throws<ArgumentException>(() => new OnnxModelScorer([1, 2, 3], 4, 3));
        Assert.Empty(ModelFiles().Except(before));
    }
}
