using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Training;

namespace FLOps.Learning.Tests.Cnn;

/// <summary>The cnn trained by the shared <see cref="LocalTrainer"/>, as devices and learners train it.</summary>
public sealed class CnnTrainingTests
{
    /// <summary>The demo's settings for the cnn: SGD with learning rate 0.05, momentum 0.9, batch 32.</summary>
    private static readonly TrainingOptions Demo = new(Epochs: 1, BatchSize: 32, LearningRate: 0.05f, Seed: 1, Momentum: 0.9f);

    private static readonly ModelArchitecture Architecture = CnnKind.Architecture();

    [Fact]
    public void One_sgd_step_lowers_the_loss_on_a_fixed_batch()
    {
        var data = Digits(32);
        var parameters = ModelInitializer.Create(Architecture, seed: 1);
        var before = ModelEvaluator.Evaluate(Architecture, parameters, data);

        var report = LocalTrainer.Train(Architecture, parameters, data, Demo);

        var after = ModelEvaluator.Evaluate(Architecture, parameters, data);
        Assert.Equal(1, report.Steps);
        Assert.Equal(before.LogLoss, report.AverageLoss, 1e-5);
        Assert.True(after.LogLoss < before.LogLoss, $"loss {before.LogLoss} → {after.LogLoss}");
    }

    [Fact]
    public void A_few_hundred_steps_with_momentum_learn_mnist()
    {
        var split = Mnist.Load();
        var parameters = ModelInitializer.Create(Architecture, seed: 2);

        var report = LocalTrainer.Train(Architecture, parameters, Digits(3000), Demo with { Epochs = 2, Seed = 2, Threads = 2 });

        var evaluation = ModelEvaluator.Evaluate(Architecture, parameters, split.Test);
        Assert.Equal(2 * 94, report.Steps); // 93 full batches and one of 24, twice
        Assert.Equal(3000, report.SampleCount);
        Assert.True(evaluation.Accuracy > 0.93, $"accuracy {evaluation.Accuracy}, log-loss {evaluation.LogLoss}");
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_parameters_whatever_the_thread_count()
    {
        var data = Digits(200);
        var options = Demo with { Epochs = 2, Seed = 3 };
        var one = ModelInitializer.Create(Architecture, seed: 3);
        var two = (float[])one.Clone();
        var again = (float[])one.Clone();

        var first = LocalTrainer.Train(Architecture, one, data, options);
        var second = LocalTrainer.Train(Architecture, two, data, options with { Threads = 2 });
        LocalTrainer.Train(Architecture, again, data, options with { Seed = 4 });

        Assert.Equal(one, two);
        Assert.Equal(first, second);
        Assert.NotEqual(one, again);
    }

    [Fact]
    public void Momentum_follows_pytorch_v_equals_mu_v_plus_g()
    {
        // Two steps on one fixed batch (the whole dataset, reshuffled but the same samples):
        // w2 = w1 − lr·(μ·g0 + g1), with w1 = w0 − lr·g0, g the gradient of the mean loss.
        var data = Digits(16);
        var w0 = ModelInitializer.Create(Architecture, seed: 5);
        const float Lr = 0.01f, Mu = 0.9f;
        var network = Architecture.Kind.CreateNetwork(Architecture);
        var rows = Enumerable.Range(0, data.Count).ToArray();
        var g0 = new float[w0.Length];
        network.BatchGradient(w0, data, rows, g0);
        var w1 = w0.Zip(g0, (w, g) => w - (Lr * g / 16)).ToArray();
        var g1 = new float[w0.Length];
        network.BatchGradient(w1, data, rows, g1);
        var expected = w1.Select((w, i) => w - (Lr * ((Mu * g0[i]) + g1[i]) / 16)).ToArray();

        var trained = (float[])w0.Clone();
        LocalTrainer.Train(Architecture, trained, data, new TrainingOptions(Epochs: 2, BatchSize: 16, LearningRate: Lr, Seed: 5, Momentum: Mu));

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - trained[i]) < 1e-5, $"parameter {i}: {trained[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void A_large_proximal_mu_keeps_parameters_closer_to_where_they_started()
    {
        var data = Digits(256);
        var start = ModelInitializer.Create(Architecture, seed: 6);
        var free = (float[])start.Clone();
        var held = (float[])start.Clone();
        var options = Demo with { Epochs = 2, Seed = 6 };

        LocalTrainer.Train(Architecture, free, data, options);
        LocalTrainer.Train(Architecture, held, data, options with { ProximalMu = 5f });

        Assert.True(Distance(held, start) < 0.7 * Distance(free, start), $"{Distance(held, start)} vs {Distance(free, start)}");
    }

    private static Dataset Digits(int count) => Mnist.Load().Train.Select([.. Enumerable.Range(0, count)]);

    private static double Distance(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Distance(a, b);
}
