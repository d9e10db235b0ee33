namespace FLOps.Learning.Models.Cnn;

/// <summary>One named tensor of the flat parameter vector: its PyTorch name, shape and place.</summary>
/// <param name="Name">The name in a PyTorch <c>state_dict</c> of the same network, e.g. <c>conv1.weight</c>.</param>
/// <param name="Shape">Dimensions, outermost first (row-major).</param>
/// <param name="Offset">Index of the first element in the flat vector.</param>
/// <param name="Length">Number of elements, the product of <paramref name="Shape"/>.</param>
public sealed record CnnTensor(string Name, IReadOnlyList<int> Shape, int Offset, int Length)
{
    /// <summary>Equal when every field is, comparing shapes element by element.</summary>
    public bool Equals(CnnTensor? other) =>
        other is not null && Name == other.Name && Offset == other.Offset && Length == other.Length && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Name, Offset, Length, Shape.Count);
}

/// <summary>
/// A small convolutional network for square-ish single- or multi-channel images:
/// <c>conv(k×k, Conv1Filters) → ReLU → maxpool(p×p, stride p) → conv(k×k, Conv2Filters) → ReLU →
/// maxpool → flatten → dense(HiddenCount) → ReLU → dense(ClassCount) → softmax</c>.
/// </summary>
/// <remarks>
/// <para>Convolutions are "valid" (no padding, stride 1) and pooling drops a last odd row or
/// column (PyTorch's floor mode), so the default architecture, on MNIST's 28×28×1 pixels, goes
/// 28 → 26 → 13 → 11 → 5 and has 225,034 parameters: the reference PyTorch set-up of issue 15.</para>
/// <para>Inputs are the dataset's flat features in channel-major order, <c>[channel, row, column]</c>
/// (for one channel, the pixels row by row), as the ONNX graph reshapes them to [N, C, H, W].</para>
/// <para>The flat parameter vector holds the tensors of <see cref="Tensors"/> one after the other, in
/// PyTorch's names, shapes and order: <c>conv1.weight [F1, C, k, k]</c>, <c>conv1.bias [F1]</c>,
/// <c>conv2.weight [F2, F1, k, k]</c>, <c>conv2.bias [F2]</c>, <c>fc1.weight [H, F2·h·w]</c>,
/// <c>fc1.bias [H]</c>, <c>fc2.weight [classes, H]</c>, <c>fc2.bias [classes]</c>, so a PyTorch
/// module's <c>state_dict</c> maps onto it one to one (fc1 flattens in PyTorch's [channel, row, column] order).</para>
/// </remarks>
public sealed record CnnArchitecture(
    int Height = 28,
    int Width = 28,
    int Channels = 1,
    int Conv1Filters = 32,
    int Conv2Filters = 64,
    int KernelSize = 3,
    int PoolSize = 2,
    int HiddenCount = 128,
    int ClassCount = 10)
{
    /// <summary>The reference architecture for the bundled 28×28 MNIST digits (225,034 parameters).</summary>
    public static CnnArchitecture Mnist { get; } = new();

    /// <summary>Features per sample: <c>Channels × Height × Width</c>.</summary>
    public int InputCount => checked(Channels * Height * Width);

    /// <summary>Rows (and columns) of the first convolution's output.</summary>
    public int Conv1Height => Height - KernelSize + 1;

    public int Conv1Width => Width - KernelSize + 1;

    public int Pool1Height => Conv1Height / PoolSize;

    public int Pool1Width => Conv1Width / PoolSize;

    public int Conv2Height => Pool1Height - KernelSize + 1;

    public int Conv2Width => Pool1Width - KernelSize + 1;

    public int Pool2Height => Conv2Height / PoolSize;

    public int Pool2Width => Conv2Width / PoolSize;

    /// <summary>Inputs of the first dense layer: <c>Conv2Filters × Pool2Height × Pool2Width</c>.</summary>
    public int FlattenCount => checked(Conv2Filters * Pool2Height * Pool2Width);

    public int ParameterCount => checked((int)CountParameters(
        Height, Width, Channels, Conv1Filters, Conv2Filters, KernelSize, PoolSize, HiddenCount, ClassCount));

    /// <summary>The named tensors of the flat parameter vector, in order (see the remarks on the type).</summary>
    public IReadOnlyList<CnnTensor> Tensors
    {
        get
        {
            Validate();
            var tensors = new List<CnnTensor>(8);
            var offset = 0;
            void Add(string name, params int[] shape)
            {
                var length = 1;
                foreach (var dimension in shape)
                {
                    length = checked(length * dimension);
                }

                tensors.Add(new CnnTensor(name, shape, offset, length));
                offset = checked(offset + length);
            }

            Add("conv1.weight", Conv1Filters, Channels, KernelSize, KernelSize);
            Add("conv1.bias", Conv1Filters);
            Add("conv2.weight", Conv2Filters, Conv1Filters, KernelSize, KernelSize);
            Add("conv2.bias", Conv2Filters);
            Add("fc1.weight", HiddenCount, FlattenCount);
            Add("fc1.bias", HiddenCount);
            Add("fc2.weight", ClassCount, HiddenCount);
            Add("fc2.bias", ClassCount);
            return tensors;
        }
    }

    /// <summary>The tensor called <paramref name="name"/> (e.g. <c>fc1.weight</c>).</summary>
    public CnnTensor Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"The CNN has no tensor '{name}'.", nameof(name));

    /// <summary>
    /// The parameters of an architecture, in 64 bits, so that sizes a spec asks for can be checked
    /// against a limit before any model of that size exists (or an int overflows).
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, or the image is too small for two convolutions and poolings.</exception>
    public static long CountParameters(
        long height,
        long width,
        long channels,
        long conv1Filters,
        long conv2Filters,
        long kernelSize,
        long poolSize,
        long hiddenCount,
        long classCount)
    {
        var (flatHeight, flatWidth) = Shrink(height, width, kernelSize, poolSize, channels, conv1Filters, conv2Filters, hiddenCount, classCount);
        checked
        {
            var conv1 = (conv1Filters * channels * kernelSize * kernelSize) + conv1Filters;
            var conv2 = (conv2Filters * conv1Filters * kernelSize * kernelSize) + conv2Filters;
            var flatten = conv2Filters * flatHeight * flatWidth;
            var fc1 = (hiddenCount * flatten) + hiddenCount;
            var fc2 = (classCount * hiddenCount) + classCount;
            return conv1 + conv2 + fc1 + fc2;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is positive and the image survives both convolutions and poolings.</summary>
    public void Validate() => _ = Shrink(Height, Width, KernelSize, PoolSize, Channels, Conv1Filters, Conv2Filters, HiddenCount, ClassCount);

    public override string ToString() =>
        $"cnn {Height}×{Width}×{Channels}: conv {KernelSize}×{KernelSize}×{Conv1Filters} → pool {PoolSize} → conv {KernelSize}×{KernelSize}×{Conv2Filters} → pool {PoolSize} → dense {HiddenCount} → {ClassCount}";

    private static (long Height, long Width) Shrink(
        long height, long width, long kernelSize, long poolSize, long channels, long conv1Filters, long conv2Filters, long hiddenCount, long classCount)
    {
        if (height <= 0 || width <= 0 || channels <= 0 || conv1Filters <= 0 || conv2Filters <= 0 || kernelSize <= 0 || poolSize <= 0 || hiddenCount <= 0)
        {
            throw new ArgumentException(
                $"Every CNN size must be positive; got {height}×{width}×{channels}, filters {conv1Filters} and {conv2Filters}, kernel {kernelSize}, pool {poolSize}, hidden {hiddenCount}.");
        }

        if (classCount < 2)
        {
            throw new ArgumentException($"A classifier needs at least two classes; got {classCount}.");
        }

        var h = (((height - kernelSize + 1) / poolSize) - kernelSize + 1) / poolSize;
        var w = (((width - kernelSize + 1) / poolSize) - kernelSize + 1) / poolSize;
        if (height - kernelSize + 1 < poolSize || width - kernelSize + 1 < poolSize || h <= 0 || w <= 0)
        {
            throw new ArgumentException(
                $"A {height}×{width} image is too small for two {kernelSize}×{kernelSize} convolutions each followed by {poolSize}×{poolSize} pooling.");
        }

        return (h, w);
    }
}
