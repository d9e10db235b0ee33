namespace FLOps.Learning.Models.Cnn;

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
/// <para>The flat parameter vector holds the tensors of <see cref="Layout"/> one after the other, in
/// PyTorch's names, shapes and order: <c>conv1.weight [F1, C, k, k]</c>, <c>conv1.bias [F1]</c>,
/// <c>conv2.weight [F2, F1, k, k]</c>, <c>conv2.bias [F2]</c>, <c>fc1.weight [H, F2·h·w]</c>,
/// <c>fc1.bias [H]</c>, <c>fc2.weight [classes, H]</c>, <c>fc2.bias [classes]</c>, so a PyTorch
/// module's <c>state_dict</c> maps onto it one to one (fc1 flattens in PyTorch's [channel, row, column] order).</para>
/// <para>The service's kind is <see cref="Kinds.CnnKind"/>, which builds the MNIST-shaped ones; the
/// other shapes serve the tests, which check every gradient of a tiny one by finite differences.</para>
/// </remarks>
internal sealed record CnnArchitecture(
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

    /// <summary>The named tensors of the flat parameter vector, in order (see the remarks on the type).</summary>
    /// <exception cref="ArgumentException">As <see cref="Validate"/>.</exception>
    public ParameterLayout Layout
    {
        get
        {
            Validate();
            return new(
                new ParameterTensor("conv1.weight", Conv1Filters, Channels, KernelSize, KernelSize),
                new ParameterTensor("conv1.bias", Conv1Filters),
                new ParameterTensor("conv2.weight", Conv2Filters, Conv1Filters, KernelSize, KernelSize),
                new ParameterTensor("conv2.bias", Conv2Filters),
                new ParameterTensor("fc1.weight", HiddenCount, FlattenCount),
                new ParameterTensor("fc1.bias", HiddenCount),
                new ParameterTensor("fc2.weight", ClassCount, HiddenCount),
                new ParameterTensor("fc2.bias", ClassCount));
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is positive and the image survives both convolutions and poolings.</summary>
    public void Validate()
    {
        if (Height <= 0 || Width <= 0 || Channels <= 0 || Conv1Filters <= 0 || Conv2Filters <= 0 || KernelSize <= 0 || PoolSize <= 0 || HiddenCount <= 0 || ClassCount <= 0)
        {
            throw new ArgumentException(
                $"Every CNN size must be positive; got {Height}×{Width}×{Channels}, filters {Conv1Filters} and {Conv2Filters}, kernel {KernelSize}, pool {PoolSize}, hidden {HiddenCount}, classes {ClassCount}.");
        }

        if (Conv1Height < PoolSize || Conv1Width < PoolSize || Pool2Height <= 0 || Pool2Width <= 0)
        {
            throw new ArgumentException(
                $"A {Height}×{Width} image is too small for two {KernelSize}×{KernelSize} convolutions each followed by {PoolSize}×{PoolSize} pooling.");
        }
    }
}
