using System.Globalization;
using FLOps.Learning.Models.Cnn;
using FLOps.Learning.Onnx;
using Onnx;

namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// <c>cnn</c>: a small convolutional network for 28×28 single-channel images (784 inputs, MNIST's):
/// conv 3×3×32 → ReLU → max-pool 2×2 → conv 3×3×64 → ReLU → max-pool 2×2 → dense
/// <see cref="DefaultHiddenUnits"/> (unless <c>model.hiddenUnits</c> says otherwise) → ReLU → dense classes,
/// 225,034 parameters for 10 classes. Layout: PyTorch's <c>state_dict</c> of the same module, names,
/// shapes and order (<c>conv1.weight</c> [32, 1, 3, 3] … <c>fc2.bias</c> [classes]). ONNX:
/// <c>Reshape → Conv → Relu → MaxPool → Conv → Relu → MaxPool → Flatten → Gemm → Relu → Gemm</c>.
/// </summary>
/// <remarks>
/// The maths is <see cref="CnnNetwork"/>'s, which computes whole batches as matrix products; it
/// overrides the batch methods of <see cref="ModelNetwork"/>, so the shared trainer and evaluator
/// drive it at the speed of its kernels.
/// </remarks>
public sealed class CnnKind : IModelKind
{
    /// <summary>The side of the square image the network reads.</summary>
    public const int ImageSide = 28;

    /// <summary>Features per sample: one channel of <see cref="ImageSide"/>², row by row.</summary>
    public const int InputCount = ImageSide * ImageSide;

    public const int DefaultHiddenUnits = 128;

    private const string ImageShapeName = "image_shape";

    private CnnKind()
    {
    }

    public static IModelKind Instance { get; } = new CnnKind();

    public string Name => "cnn";

    public string Description =>
        $"two 3×3 convolutions (32 and 64 filters), each with ReLU and 2×2 max-pooling, then a dense ReLU layer and the output layer, on {ImageSide}×{ImageSide} single-channel images ({InputCount} inputs); {DefaultHiddenUnits} hidden units unless model.hiddenUnits says";

    /// <remarks>
    /// The reference set-up of issue 15, PyTorch's usual one for this network: two local epochs of
    /// SGD with learning rate 0.05, momentum 0.9 and batch 32.
    /// </remarks>
    public SuggestedTraining SuggestedTraining { get; } = new(LocalEpochs: 2, BatchSize: 32, LearningRate: 0.05, Momentum: 0.9);

    /// <summary>The CNN for <paramref name="classes"/> classes with <paramref name="hiddenUnits"/> units in its dense layer.</summary>
    public static ModelArchitecture Architecture(int classes = 10, int hiddenUnits = DefaultHiddenUnits) =>
        new(Instance, new ModelSize(InputCount, classes, hiddenUnits));

    public ModelSize Normalize(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return size with { HiddenUnits = size.HiddenUnits ?? DefaultHiddenUnits };
    }

    public ParameterLayout Layout(ModelSize size) => ShapeOf(size).Layout;

    public string Describe(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return string.Create(CultureInfo.InvariantCulture, $"a cnn {ImageSide}×{ImageSide}→conv 32→conv 64→{size.HiddenUnits}→{size.Classes}");
    }

    public void Initialize(ModelArchitecture architecture, Span<float> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        CnnNetwork.Initialize(ShapeOf(architecture.Size), parameters, seed);
    }

    public ModelNetwork CreateNetwork(ModelArchitecture architecture, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return new CnnNetwork(ShapeOf(architecture.Size), threads);
    }

    public string AddOnnxNodes(GraphProto graph, ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(architecture);
        var shape = ShapeOf(architecture.Size);

        // The features arrive as [N, C·H·W]; the convolutions want [N, C, H, W].
        graph.Initializer.Add(OnnxNodes.Int64Tensor(ImageShapeName, -1, shape.Channels, shape.Height, shape.Width));
        graph.Node.Add(OnnxNodes.Node("reshape", "Reshape", [OnnxModelExporter.FeaturesName, ImageShapeName], ["image"]));
        AddConvolution(graph, shape, "1", "image", "pool1");
        AddConvolution(graph, shape, "2", "pool1", "pool2");
        graph.Node.Add(OnnxNodes.Node("flatten", "Flatten", ["pool2"], ["flat"], OnnxNodes.IntAttribute("axis", 1)));
        graph.Node.Add(OnnxNodes.Gemm("fc1", "flat", "fc1.weight", "fc1.bias", "fc1_linear"));
        graph.Node.Add(OnnxNodes.Node("relu3", "Relu", ["fc1_linear"], ["hidden"]));
        graph.Node.Add(OnnxNodes.Gemm("fc2", "hidden", "fc2.weight", "fc2.bias", "logits"));
        return "logits";
    }

    /// <summary>The network's shape at these sizes.</summary>
    /// <exception cref="ArgumentException">The inputs are not one 28×28 image, or the dense layer has no unit.</exception>
    internal static CnnArchitecture ShapeOf(ModelSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        if (size.Inputs != InputCount)
        {
            throw new ArgumentException(string.Create(
                CultureInfo.InvariantCulture,
                $"a cnn reads {ImageSide}×{ImageSide} single-channel images, {InputCount} inputs (got {size.Inputs})"));
        }

        if (size.HiddenUnits is not >= 1)
        {
            throw new ArgumentException($"a cnn needs at least one hidden unit (got {size.HiddenUnits?.ToString(CultureInfo.InvariantCulture) ?? "none"})");
        }

        return new CnnArchitecture(Height: ImageSide, Width: ImageSide, Channels: 1, HiddenCount: size.HiddenUnits.Value, ClassCount: size.Classes);
    }

    /// <summary>Conv<paramref name="index"/> (valid, stride 1) → Relu → MaxPool (stride = size), on the tensors <c>conv{index}.weight</c> and <c>.bias</c>.</summary>
    private static void AddConvolution(GraphProto graph, CnnArchitecture shape, string index, string input, string output)
    {
        var k = shape.KernelSize;
        var p = shape.PoolSize;
        graph.Node.Add(OnnxNodes.Node(
            $"conv{index}",
            "Conv",
            [input, $"conv{index}.weight", $"conv{index}.bias"],
            [$"conv{index}_linear"],
            OnnxNodes.IntsAttribute("kernel_shape", k, k),
            OnnxNodes.IntsAttribute("strides", 1, 1),
            OnnxNodes.IntsAttribute("pads", 0, 0, 0, 0),
            OnnxNodes.IntsAttribute("dilations", 1, 1)));
        graph.Node.Add(OnnxNodes.Node($"relu{index}", "Relu", [$"conv{index}_linear"], [$"conv{index}_relu"]));
        graph.Node.Add(OnnxNodes.Node(
            $"pool{index}",
            "MaxPool",
            [$"conv{index}_relu"],
            [output],
            OnnxNodes.IntsAttribute("kernel_shape", p, p),
            OnnxNodes.IntsAttribute("strides", p, p),
            OnnxNodes.IntsAttribute("pads", 0, 0, 0, 0)));
    }
}
