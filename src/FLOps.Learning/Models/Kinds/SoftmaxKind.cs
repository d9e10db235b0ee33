using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// <c>softmax</c>: multinomial logistic regression, logits = W·x + b.
/// Layout: <c>W</c> [classes × inputs] row-major, then <c>b</c> [classes].
/// ONNX: <c>Gemm(features, W, b, transB=1)</c>.
/// </summary>
public sealed class SoftmaxKind : IModelKind
{
    private SoftmaxKind()
    {
    }

    public static IModelKind Instance { get; } = new SoftmaxKind();

    public string Name => "softmax";

    public string Description => "multinomial logistic regression, logits = W·x + b";

    /// <remarks>
    /// One epoch of plain SGD per round; FedAvg of one local epoch needs the larger step to reach
    /// 0.90 in the demo's 10 rounds (0.887 at learning rate 0.1 and batch 32).
    /// </remarks>
    public SuggestedTraining SuggestedTraining { get; } = new(LocalEpochs: 1, BatchSize: 16, LearningRate: 0.5);

    /// <summary>A softmax model of <paramref name="inputs"/> features and <paramref name="classes"/> classes.</summary>
    public static ModelArchitecture Architecture(int inputs, int classes) => new(Instance, new ModelSize(inputs, classes));

    public ModelSize Normalize(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return size with { HiddenUnits = null };
    }

    public ParameterLayout Layout(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return new(new ParameterTensor("W", size.Classes, size.Inputs), new ParameterTensor("b", size.Classes));
    }

    public string Describe(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return string.Create(CultureInfo.InvariantCulture, $"a softmax {size.Inputs}→{size.Classes}");
    }

    /// <remarks>Softmax regression is convex, so zeros are a fine start and make the first predictions uniform.</remarks>
    public void Initialize(ModelArchitecture architecture, Span<float> parameters, int seed)
    {
    }

    public ModelNetwork CreateNetwork(ModelArchitecture architecture, int threads = 1) => new Network(architecture);

    public string AddOnnxNodes(GraphProto graph, ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(graph);
        graph.Node.Add(OnnxNodes.Gemm("gemm", OnnxModelExporter.FeaturesName, "W", "b", "logits"));
        return "logits";
    }

    private sealed class Network(ModelArchitecture architecture) : ModelNetwork(architecture.InputCount, architecture.ClassCount)
    {
        private readonly int _inputs = architecture.InputCount;
        private readonly int _classes = architecture.ClassCount;
        private readonly float[] _logits = new float[architecture.ClassCount];
        private readonly float[] _delta = new float[architecture.ClassCount];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits)
        {
            var weightCount = _classes * _inputs;
            ModelMath.Affine(parameters[..weightCount], parameters.Slice(weightCount, _classes), features, logits);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override double AddGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, int label, Span<float> gradient)
        {
            var inputs = _inputs;
            var classes = _classes;
            Logits(parameters, features, _logits);
            var loss = ModelMath.SoftmaxCrossEntropyDelta(_logits, _delta, label);

            // dL/dW[c] = (p[c] − y[c])·x, dL/db = p − y.
            var delta = _delta;
            for (var c = 0; c < classes; c++)
            {
                var row = gradient.Slice(c * inputs, inputs);
                TensorPrimitives.MultiplyAdd(features, delta[c], row, row);
            }

            var biasGradient = gradient.Slice(classes * inputs, classes);
            TensorPrimitives.Add(biasGradient, delta, biasGradient);
            return loss;
        }
    }
}
