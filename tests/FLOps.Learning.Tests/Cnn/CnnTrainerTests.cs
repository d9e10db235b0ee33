using FLOps.Learning.Data;
using FLOps.Learning.Models.Cnn;
using FLOps.Learning.Training;

namespace FLOps.Learning.Tests.Cnn;

public sealed class CnnTrainerTests
{
    private static readonly CnnArchitecture Small = new(Conv1Filters: 4, Conv2Filters: 8, HiddenCount: 32);

    [Fact]
    public void One_sgd_step_lowers_the_loss_on_a_fixed_batch()
    {
        var architecture = CnnArchitecture.Mnist;
        var data = Mnist.Load().Train.Select([.. Enumerable.Range(0, 32)]);
        var parameters = CnnNetwork.Initialize(architecture, seed: 1);
        var network = new CnnNetwork(architecture);
        var gradient = new float[parameters.Length];
        var before = network.LossAndGradient(parameters, data.Features, data.Labels, gradient);

        var report = CnnTrainer.Train(architecture, parameters, data, new CnnTrainingOptions(Epochs: 1, BatchSize: 32, LearningRate: 0.05f, Seed: 1));

        var after = network.LossAndGradient(parameters, data.Features, data.Labels, gradient);
        Assert.Equal(1, report.Steps);
        Assert.Equal(before, report.AverageLoss, 1e-5);
        Assert.True(after < before, $"loss {before} → {after}");
    }

    [Fact]
    public void A_few_hundred_steps_learn_mnist()
    {
        var split = Mnist.Load();
        var train = split.Train.Select([.. Enumerable.Range(0, 3000)]);
        var parameters = CnnNetwork.Initialize(Small, seed: 2);

        var report = CnnTrainer.Train(Small, parameters, train, new CnnTrainingOptions(Epochs: 2, BatchSize: 32, LearningRate: 0.05f, Seed: 2, Threads: 2));

        var evaluation = new CnnNetwork(Small, maxBatchSize: 256).Evaluate(parameters, split.Test);
        Assert.Equal(2 * 94, report.Steps); // 93 full batches and one of 24, twice
        Assert.Equal(3000, report.SampleCount);
        Assert.True(evaluation.Accuracy > 0.9, $"accuracy {evaluation.Accuracy}, log-loss {evaluation.LogLoss}");
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_parameters_whatever_the_thread_count()
    {
        var data = Mnist.Load().Train.Select([.. Enumerable.Range(0, 200)]);
        var options = new CnnTrainingOptions(Epochs: 2, BatchSize: 32, LearningRate: 0.05f, Seed: 3);
        var one = CnnNetwork.Initialize(Small, seed: 3);
        var two = (float[])one.Clone();
        var again = (float[])one.Clone();

        var first = CnnTrainer.Train(Small, one, data, options);
        var second = CnnTrainer.Train(Small, two, data, options with { Threads = 2 });
        CnnTrainer.Train(Small, again, data, options with { Seed = 4 });

        Assert.Equal(one, two);
        Assert.Equal(first, second);
        Assert.NotEqual(one, again);
    }

    [Fact]
    public void Momentum_follows_pytorch_v_equals_mu_v_plus_g()
    {
        // Two steps on one fixed batch (the whole dataset, reshuffled but the same samples):
        // w2 = w1 − lr·(μ·g0 + g1), with w1 = w0 − lr·g0.
        var data = Mnist.Load().Train.Select([.. Enumerable.Range(0, 16)]);
        var w0 = CnnNetwork.Initialize(Small, seed: 5);
        const float Lr = 0.01f, Mu = 0.9f;
        var network = new CnnNetwork(Small, maxBatchSize: 16);
        var g0 = new float[w0.Length];
        network.LossAndGradient(w0, data.Features, data.Labels, g0);
        var w1 = w0.Zip(g0, (w, g) => w - (Lr * g)).ToArray();
        var g1 = new float[w0.Length];
        network.LossAndGradient(w1, data.Features, data.Labels, g1);
        var expected = w1.Select((w, i) => w - (Lr * ((Mu * g0[i]) + g1[i]))).ToArray();

        var trained = (float[])w0.Clone();
        CnnTrainer.Train(Small, trained, data, new CnnTrainingOptions(Epochs: 2, BatchSize: 16, LearningRate: Lr, Seed: 5, Momentum: Mu));

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - trained[i]) < 1e-5, $"parameter {i}: {trained[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void A_large_proximal_mu_keeps_parameters_closer_to_where_they_started()
    {
        var data = Mnist.Load().Train.Select([.. Enumerable.Range(0, 256)]);
        var start = CnnNetwork.Initialize(Small, seed: 6);
        var free = (float[])start.Clone();
        var held = (float[])start.Clone();
        var options = new CnnTrainingOptions(Epochs: 2, BatchSize: 32, LearningRate: 0.05f, Seed: 6);

        CnnTrainer.Train(Small, free, data, options);
        CnnTrainer.Train(Small, held, data, options with { ProximalMu = 5f });

        Assert.True(Distance(held, start) < 0.7 * Distance(free, start), $"{Distance(held, start)} vs {Distance(free, start)}");
    }

    [Fact]
    public void Options_from_the_other_kinds_carry_over_and_bad_options_are_refused()
    {
        var options = CnnTrainingOptions.From(new TrainingOptions(Epochs: 2, BatchSize: 32, LearningRate: 0.05f, Seed: 7, ProximalMu: 0.1f));
        Assert.Equal(new CnnTrainingOptions(2, 32, 0.05f, 7, 0.9f, 0.1f, 1), options);

        var data = Mnist.Load().Train.Select([0, 1]);
        var parameters = CnnNetwork.Initialize(Small, 1);
        Assert.Throws<ArgumentException>(() => CnnTrainer.Train(Small, parameters, data, options with { Momentum = 1f }));
        Assert.Throws<ArgumentException>(() => CnnTrainer.Train(Small, parameters, data, options with { Threads = 0 }));
        Assert.Throws<ArgumentException>(() => CnnTrainer.Train(Small, new float[3], data, options));
        Assert.Equal(new TrainingReport(0, 0, 0), CnnTrainer.Train(Small, parameters, data.Select([]), options));
    }

    [Fact]
    public void Cancellation_stops_before_a_batch()
    {
        var data = Mnist.Load().Train.Select([.. Enumerable.Range(0, 64)]);
        var parameters = CnnNetwork.Initialize(Small, 1);
        var original = (float[])parameters.Clone();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() =>
            CnnTrainer.Train(Small, parameters, data, new CnnTrainingOptions(1, 32, 0.05f, 1), cancelled.Token));
        Assert.Equal(original, parameters);
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
}
