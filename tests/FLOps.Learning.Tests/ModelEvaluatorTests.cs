using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Tests;

public class ModelEvaluatorTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    public void Zero_softmax_parameters_predict_uniformly_so_log_loss_is_ln_of_class_count(int classes)
    {
        var data = SyntheticData.Blobs(classes: classes, samples: 60);
        var architecture = SoftmaxKind.Architecture(data.FeatureCount, classes);

        var result = ModelEvaluator.Evaluate(architecture, ModelInitializer.Create(architecture, seed: 0), data);

        Assert.Equal(Math.Log(classes), result.LogLoss, precision: 5);
        Assert.Equal(60, result.Count);
    }

    [Fact]
    public void Accuracy_is_the_fraction_of_samples_whose_argmax_is_the_label()
    {
        // Two features, two classes; W = identity, b = 0, so the larger feature wins.
        var architecture = SoftmaxKind.Architecture(inputs: 2, classes: 2);
        float[] parameters = [1, 0, 0, 1, 0, 0];
        var data = new Dataset(
            features: [5, 1, /**/ 0, 3, /**/ 2, 1, /**/ 1, 4],
            labels: [0, 1, 1, 1],
            featureCount: 2,
            classCount: 2);

        var result = ModelEvaluator.Evaluate(architecture, parameters, data);

        Assert.Equal(0.75, result.Accuracy, precision: 10);
    }

    [Fact]
    public void Log_loss_is_the_mean_negative_log_probability_of_the_label()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 1, classes: 2);
        float[] parameters = [1, -1, 0, 0];
        var data = new Dataset(features: [1, 1], labels: [0, 1], featureCount: 1, classCount: 2);

        var result = ModelEvaluator.Evaluate(architecture, parameters, data);

        // logits (1, −1): p0 = 1/(1+e^−2).
        var p0 = 1 / (1 + Math.Exp(-2));
        Assert.Equal((-Math.Log(p0) - Math.Log(1 - p0)) / 2, result.LogLoss, precision: 5);
    }

    [Fact]
    public void Predict_writes_probabilities_that_sum_to_one_and_returns_the_argmax()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 1, classes: 3);
        float[] parameters = [0, 0, 0, 1, 3, 2];
        var probabilities = new float[3];

        var predicted = ModelEvaluator.Predict(architecture, parameters, [0.5f], probabilities);

        Assert.Equal(1, predicted);
        Assert.Equal(1f, probabilities.Sum(), precision: 5);
        Assert.True(probabilities[1] > probabilities[2] && probabilities[2] > probabilities[0]);
    }

    [Fact]
    public void Predict_breaks_ties_towards_the_lowest_class()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 1, classes: 3);
        float[] parameters = [0, 0, 0, 0, 7, 7];

        Assert.Equal(1, ModelEvaluator.Predict(architecture, parameters, [1f], new float[3]));
    }

    [Fact]
    public void Huge_logits_do_not_overflow_into_NaN()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 1, classes: 2);
        float[] parameters = [1000, 0, 0, 0];
        var probabilities = new float[2];

        ModelEvaluator.Predict(architecture, parameters, [1f], probabilities);

        Assert.Equal(1f, probabilities[0]);
        Assert.Equal(0f, probabilities[1]);
    }

    [Fact]
    public void Certain_wrong_predictions_are_clamped_instead_of_infinite_loss()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 1, classes: 2);
        float[] parameters = [1000, 0, 0, 0];
        var data = new Dataset(features: [1], labels: [1], featureCount: 1, classCount: 2);

        var result = ModelEvaluator.Evaluate(architecture, parameters, data);

        Assert.Equal(-Math.Log(1e-15), result.LogLoss, precision: 3);
    }

    [Fact]
    public void Parameters_of_the_wrong_length_are_rejected()
    {
        var architecture = SoftmaxKind.Architecture(inputs: 2, classes: 2);
        var data = new Dataset([1, 2], [0], 2, 2);

        Assert.Throws<ArgumentException>(() => ModelEvaluator.Evaluate(architecture, new float[5], data));
    }
}
