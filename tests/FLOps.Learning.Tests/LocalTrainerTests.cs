using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Training;

namespace FLOps.Learning.Tests;

public class LocalTrainerTests
{
    private static readonly TrainingOptions Options = new(Epochs: 5, BatchSize: 16, LearningRate: 0.1f, Seed: 7);

    public static TheoryData<string> Kinds => ["softmax", "mlp"];

    private static ModelArchitecture ArchitectureFor(string kind, int inputs, int classes) =>
        kind == "softmax" ? SoftmaxKind.Architecture(inputs, classes) : MlpKind.Architecture(inputs, classes, hiddenUnits: 16);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Training_on_a_separable_problem_lowers_the_loss_and_classifies_well(string kind)
    {
        var data = SyntheticData.Blobs();
        var architecture = ArchitectureFor(kind, data.FeatureCount, data.ClassCount);
        var parameters = ModelInitializer.Create(architecture, seed: 3);
        var before = ModelEvaluator.Evaluate(architecture, parameters, data);

        var report = LocalTrainer.Train(architecture, parameters, data, Options);

        var after = ModelEvaluator.Evaluate(architecture, parameters, data);
        Assert.True(after.LogLoss < before.LogLoss / 4, $"log-loss {before.LogLoss} → {after.LogLoss}");
        Assert.True(after.Accuracy > 0.95, $"accuracy {after.Accuracy}");
        Assert.True(report.AverageLoss < before.LogLoss);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_report_counts_samples_and_one_step_per_batch(string kind)
    {
        var data = SyntheticData.Blobs(samples: 100);
        var architecture = ArchitectureFor(kind, data.FeatureCount, data.ClassCount);

        var report = LocalTrainer.Train(architecture, ModelInitializer.Create(architecture, 1), data, Options with { Epochs = 3, BatchSize = 32 });

        Assert.Equal(100, report.SampleCount);
        Assert.Equal(3 * 4, report.Steps); // 32+32+32+4 per epoch
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_same_seed_gives_bit_identical_parameters(string kind)
    {
        var data = SyntheticData.Blobs(samples: 200);
        var architecture = ArchitectureFor(kind, data.FeatureCount, data.ClassCount);
        var first = ModelInitializer.Create(architecture, seed: 5);
        var second = ModelInitializer.Create(architecture, seed: 5);

        var firstReport = LocalTrainer.Train(architecture, first, data, Options);
        var secondReport = LocalTrainer.Train(architecture, second, data, Options);

        Assert.Equal(first, second);
        Assert.Equal(firstReport, secondReport);
    }

    [Fact]
    public void A_different_seed_shuffles_differently()
    {
        var data = SyntheticData.Blobs(samples: 200);
        var architecture = SoftmaxKind.Architecture(data.FeatureCount, data.ClassCount);
        var first = ModelInitializer.Create(architecture, seed: 5);
        var second = ModelInitializer.Create(architecture, seed: 5);

        LocalTrainer.Train(architecture, first, data, Options with { Seed = 1 });
        LocalTrainer.Train(architecture, second, data, Options with { Seed = 2 });

        Assert.NotEqual(first, second);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_large_proximal_mu_keeps_parameters_closer_to_where_they_started(string kind)
    {
        var data = SyntheticData.Blobs(samples: 300);
        var architecture = ArchitectureFor(kind, data.FeatureCount, data.ClassCount);
        var start = ModelInitializer.Create(architecture, seed: 11);
        var plain = (float[])start.Clone();
        var proximal = (float[])start.Clone();

        LocalTrainer.Train(architecture, plain, data, Options);
        LocalTrainer.Train(architecture, proximal, data, Options with { ProximalMu = 5f });

        Assert.True(
            Distance(proximal, start) < Distance(plain, start) / 2,
            $"proximal moved {Distance(proximal, start)}, plain moved {Distance(plain, start)}");
    }

    /// <summary>
    /// Two steps on one batch that is the whole dataset (shuffled, but the same samples), against
    /// PyTorch's SGD: g = ∇(mean loss) + mu·(w − w₀), v ← μ·v + g, w ← w − lr·v, v starting at 0.
    /// </summary>
    [Theory]
    [InlineData("softmax", 0f)]
    [InlineData("mlp", 0f)]
    [InlineData("mlp", 0.5f)]
    public void Momentum_follows_pytorch_and_fedprox_joins_the_gradient_before_the_velocity(string kind, float mu)
    {
        var data = SyntheticData.Blobs(samples: 24);
        var architecture = ArchitectureFor(kind, data.FeatureCount, data.ClassCount);
        var w0 = ModelInitializer.Create(architecture, seed: 13);
        const float Lr = 0.05f, Momentum = 0.9f;
        var g0 = MeanGradient(architecture, w0, data);
        var w1 = w0.Select((w, i) => w - (Lr * g0[i])).ToArray();
        var g1 = MeanGradient(architecture, w1, data).Select((g, i) => g + (mu * (w1[i] - w0[i]))).ToArray();
        var expected = w1.Select((w, i) => w - (Lr * ((Momentum * g0[i]) + g1[i]))).ToArray();

        var trained = (float[])w0.Clone();
        var report = LocalTrainer.Train(architecture, trained, data, new TrainingOptions(Epochs: 2, BatchSize: 24, Lr, Seed: 3, ProximalMu: mu, Momentum: Momentum));

        Assert.Equal(2, report.Steps);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - trained[i]) < 1e-5, $"parameter {i}: {trained[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Cancellation_is_honoured_between_batches()
    {
        var data = SyntheticData.Blobs(samples: 100);
        var architecture = SoftmaxKind.Architecture(data.FeatureCount, data.ClassCount);
        var parameters = ModelInitializer.Create(architecture, 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => LocalTrainer.Train(architecture, parameters, data, Options, cancelled.Token));
        Assert.All(parameters, p => Assert.Equal(0f, p));
    }

    [Fact]
    public void Mismatched_parameters_data_or_options_are_rejected()
    {
        var data = SyntheticData.Blobs(samples: 30);
        var architecture = SoftmaxKind.Architecture(data.FeatureCount, data.ClassCount);
        var parameters = ModelInitializer.Create(architecture, 1);

        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, new float[3], data, Options));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(SoftmaxKind.Architecture(5, 3), new float[18], data, Options));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { LearningRate = float.NaN }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { ProximalMu = -1 }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { Momentum = 1 }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { Momentum = -0.1f }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { Momentum = float.NaN }));
        Assert.Throws<ArgumentException>(() => LocalTrainer.Train(architecture, parameters, data, Options with { Threads = 0 }));
    }

    /// <summary>The gradient of the mean cross-entropy over the whole dataset.</summary>
    private static float[] MeanGradient(ModelArchitecture architecture, float[] parameters, Dataset data)
    {
        var gradient = new float[parameters.Length];
        architecture.Kind.CreateNetwork(architecture).BatchGradient(parameters, data, [.. Enumerable.Range(0, data.Count)], gradient);
        return [.. gradient.Select(g => g / data.Count)];
    }

    private static double Distance(float[] a, float[] b) =>
        System.Numerics.Tensors.TensorPrimitives.Distance(a, b);
}
