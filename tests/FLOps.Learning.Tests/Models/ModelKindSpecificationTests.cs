using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using FLOps.Learning.Training;
using Onnx;

namespace FLOps.Learning.Tests.Models;

/// <summary>
/// What every kind of <see cref="ModelCatalog"/> must do, checked for each kind the catalogue
/// lists, at its default sizes for MNIST: a kind added there is held to all of it without a line here.
/// </summary>
public sealed class ModelKindSpecificationTests
{
    private static readonly TrainingOptions OneEpoch = new(Epochs: 1, BatchSize: 16, LearningRate: 0.5f, Seed: 42);

    public static TheoryData<string> Kinds => [.. ModelCatalog.Names];

    private static ModelArchitecture AtMnistSize(string kind) =>
        ModelCatalog.Architecture(kind, new ModelSize(Mnist.FeatureCount, Mnist.ClassCount));

    private static Dataset Digits(int count) => Mnist.Load().Train.Select([.. Enumerable.Range(0, count)]);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_kind_counts_its_parameters_before_allocating_them_exactly_as_many_as_its_layout_and_its_start_have(string kind)
    {
        var model = ModelCatalog.Find(kind)!;
        var size = new ModelSize(Mnist.FeatureCount, Mnist.ClassCount);
        var architecture = AtMnistSize(kind);

        Assert.Equal(architecture.Layout.ParameterCount, model.CountParameters(size));
        Assert.Equal(architecture.Layout.Tensors.Sum(tensor => tensor.Count), architecture.ParameterCount);
        Assert.Equal(architecture.ParameterCount, ModelInitializer.Create(architecture, seed: 1).Length);
        Assert.Equal(model.Normalize(size), model.Normalize(model.Normalize(size)));
        Assert.Equal(architecture, new ModelArchitecture(model, model.Normalize(size)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_same_seed_gives_the_same_finite_start_and_another_seed_does_not_change_its_shape(string kind)
    {
        var architecture = AtMnistSize(kind);

        var first = ModelInitializer.Create(architecture, seed: 7);
        var again = ModelInitializer.Create(architecture, seed: 7);

        Assert.Equal(first, again);
        Assert.All(first, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(first.Length, ModelInitializer.Create(architecture, seed: 8).Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_gradient_of_a_sample_is_the_slope_of_its_cross_entropy(string kind)
    {
        var architecture = AtMnistSize(kind);
        var parameters = ModelInitializer.Create(architecture, seed: 3);
        var random = new Random(4);
        for (var i = 0; i < parameters.Length; i++)
        {
            // Away from zero, so that a kind that starts at zeros (softmax) is not checked at a special point.
            parameters[i] += (float)((random.NextDouble() - 0.5) * 0.02);
        }

        var digits = Digits(1);
        var features = digits.Row(0);
        var label = digits.Labels[0];
        var network = architecture.Kind.CreateNetwork(architecture);
        var gradient = new float[architecture.ParameterCount];

        var loss = network.AddGradient(parameters, features, label, gradient);

        var here = CrossEntropy(architecture, parameters, features.ToArray(), label);
        Assert.Equal(here, loss, 5);
        foreach (var index in CoordinatesToCheck(architecture.Layout, gradient, random))
        {
            const float step = 1e-3f;
            var original = parameters[index];
            parameters[index] = original + step;
            var up = CrossEntropy(architecture, parameters, features.ToArray(), label);
            parameters[index] = original - step;
            var down = CrossEntropy(architecture, parameters, features.ToArray(), label);
            parameters[index] = original;

            // Where a ReLU crosses zero or a max-pool's winner changes within the step, the loss has
            // a kink there and the central slope averages two one-sided ones; the gradient is then
            // the slope on the side the kind's tie-breaking takes, so either one-sided slope will do.
            var slope = (up - down) / (2 * step);
            var (forward, backward) = ((up - here) / step, (here - down) / step);
            var kink = !Close(forward, backward);
            Assert.True(
                Close(slope, gradient[index]) || (kink && (Close(forward, gradient[index]) || Close(backward, gradient[index]))),
                $"{architecture}, parameter {index}: gradient {gradient[index]}, slope of the loss {slope} (forward {forward}, backward {backward})");
        }

        static bool Close(double slope, double gradient) => Math.Abs(slope - gradient) <= 1e-3 + (0.02 * Math.Abs(gradient));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_batch_gives_the_sum_of_its_samples_gradients_and_losses_and_their_logits(string kind)
    {
        var architecture = AtMnistSize(kind);
        var parameters = ModelInitializer.Create(architecture, seed: 6);
        var digits = Digits(40);
        int[] rows = [3, 17, 0, 39, 17, 8, 21];
        var network = architecture.Kind.CreateNetwork(architecture);
        var summed = new float[architecture.ParameterCount];
        var summedLoss = 0.0;
        foreach (var row in rows)
        {
            summedLoss += network.AddGradient(parameters, digits.Row(row), digits.Labels[row], summed);
        }

        // Not zeroed on purpose: the batch gradient overwrites what is there.
        var batch = Enumerable.Repeat(1f, architecture.ParameterCount).ToArray();
        var batchLoss = network.BatchGradient(parameters, digits, rows, batch);

        Assert.Equal(summedLoss, batchLoss, 1e-4);
        for (var i = 0; i < batch.Length; i++)
        {
            Assert.True(Math.Abs(summed[i] - batch[i]) <= 1e-5 + (1e-4 * Math.Abs(summed[i])), $"{architecture}, parameter {i}: {batch[i]} vs {summed[i]}");
        }

        var logits = new float[digits.Count * architecture.ClassCount];
        network.BatchLogits(parameters, digits.Features, logits);
        var one = new float[architecture.ClassCount];
        for (var i = 0; i < digits.Count; i++)
        {
            network.Logits(parameters, digits.Row(i), one);
            for (var c = 0; c < one.Length; c++)
            {
                Assert.Equal(one[c], logits[(i * one.Length) + c], 1e-4);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void One_epoch_lowers_the_loss_and_repeats_bit_for_bit(string kind)
    {
        var architecture = AtMnistSize(kind);
        var digits = Digits(400);
        var first = ModelInitializer.Create(architecture, seed: 42);
        var second = ModelInitializer.Create(architecture, seed: 42);
        var before = ModelEvaluator.Evaluate(architecture, first, digits);

        var report = LocalTrainer.Train(architecture, first, digits, OneEpoch);
        var repeated = LocalTrainer.Train(architecture, second, digits, OneEpoch);

        var after = ModelEvaluator.Evaluate(architecture, first, digits);
        Assert.True(after.LogLoss < before.LogLoss, $"{architecture}: log-loss {before.LogLoss} → {after.LogLoss}");
        Assert.Equal((400 + 15) / 16, report.Steps);
        Assert.Equal(report, repeated);
        Assert.Equal(first, second);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_onnx_export_holds_the_parameters_as_one_initialiser_per_layout_tensor_in_order(string kind)
    {
        var architecture = AtMnistSize(kind);
        var parameters = ModelInitializer.Create(architecture, seed: 5);

        var graph = ModelProto.Parser.ParseFrom(OnnxModelExporter.Export(architecture, parameters)).Graph;

        // Float initialisers are parameters; a kind may add constants of other types (shapes for a Reshape).
        var weights = graph.Initializer.Where(tensor => tensor.DataType == (int)TensorProto.Types.DataType.Float).ToList();
        var exported = new ParameterLayout([.. weights.Select(tensor => new ParameterTensor(tensor.Name, [.. tensor.Dims.Select(dimension => checked((int)dimension))]))]);
        Assert.Equal(architecture.Layout, exported);
        Assert.Equal(parameters, weights.SelectMany(tensor => tensor.FloatData));
        Assert.Equal($"flops_{kind}", graph.Name);
        Assert.Equal(new[] { OnnxModelExporter.ProbabilitiesName, OnnxModelExporter.LabelName }, graph.Output.Select(output => output.Name));
    }

    /// <summary>
    /// The start and one epoch of each kind as they were before the kinds moved into
    /// <see cref="ModelCatalog"/> (SHA-256 of the float32 parameters, first 16 hex digits). A kind
    /// whose maths changes on purpose changes its line here, and says why.
    /// </summary>
    /// <remarks>
    /// The mlp's loss moved in its last digits (…906 → …886) when the trainer began to add up the
    /// loss batch by batch (<see cref="ModelNetwork.BatchGradient"/> returns its batch's sum): the
    /// same losses, summed in another grouping. Its parameters kept every bit.
    /// </remarks>
    [Theory]
    [InlineData("softmax", "57347701D22FD819", "8449A8CE3E38873D", 1.5577264140447082)]
    [InlineData("mlp", "FC530EE6B2EED4B1", "D1BDA63676936CCA", 1.6813261723119886)]
    public void Seed_42_starts_and_trains_to_the_bits_it_always_did(string kind, string start, string trained, double loss)
    {
        var architecture = AtMnistSize(kind);
        var parameters = ModelInitializer.Create(architecture, seed: 42);
        var startHash = Hash(parameters);

        var report = LocalTrainer.Train(architecture, parameters, Digits(400), OneEpoch);

        Assert.Equal(start, startHash);
        Assert.Equal(trained, Hash(parameters));
        Assert.Equal(loss, report.AverageLoss);
    }

    [Fact]
    public void The_layouts_of_the_kinds_are_the_ones_learners_and_onnx_files_rely_on()
    {
        Assert.Equal("W[10×784], b[10]", SoftmaxKind.Architecture(784, 10).Layout.ToString());
        Assert.Equal("W1[128×784], b1[128], W2[10×128], b2[10]", MlpKind.Architecture(784, 10).Layout.ToString());
        Assert.Equal("W1[32×4], b1[32], W2[3×32], b2[3]", MlpKind.Architecture(4, 3, hiddenUnits: 32).Layout.ToString());
        Assert.Equal(
            "conv1.weight[32×1×3×3], conv1.bias[32], conv2.weight[64×32×3×3], conv2.bias[64], fc1.weight[128×1600], fc1.bias[128], fc2.weight[10×128], fc2.bias[10]",
            CnnKind.Architecture().Layout.ToString());
    }

    /// <summary>In every tensor of the layout, its five steepest coordinates and five others at random.</summary>
    private static IEnumerable<int> CoordinatesToCheck(ParameterLayout layout, float[] gradient, Random random)
    {
        for (var t = 0; t < layout.Tensors.Count; t++)
        {
            var start = (int)layout.OffsetOf(t);
            var count = (int)layout.Tensors[t].Count;
            var steepest = Enumerable.Range(start, count).OrderByDescending(i => Math.Abs(gradient[i])).Take(5);
            var anywhere = Enumerable.Range(0, 5).Select(_ => start + random.Next(count));
            foreach (var index in steepest.Concat(anywhere))
            {
                yield return index;
            }
        }
    }

    private static string Hash(float[] parameters) =>
        Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(parameters.AsSpan())))[..16];

    /// <summary>The cross-entropy of one sample from the kind's logits, in double precision.</summary>
    private static double CrossEntropy(ModelArchitecture architecture, float[] parameters, float[] features, int label)
    {
        var logits = new float[architecture.ClassCount];
        architecture.Kind.CreateNetwork(architecture).Logits(parameters, features, logits);
        var max = logits.Max();
        var sum = logits.Sum(logit => Math.Exp(logit - max));
        return -(logits[label] - max - Math.Log(sum));
    }
}
