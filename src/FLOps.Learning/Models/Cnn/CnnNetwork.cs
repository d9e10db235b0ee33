using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FLOps.Learning.Data;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Models.Cnn;

/// <summary>
/// Forward and backward passes of a <see cref="CnnArchitecture"/> over mini-batches, with the
/// buffers they need: <see cref="CnnKind"/>'s network. Convolutions are im2col + <see cref="Sgemm"/>
/// over the whole batch; dense layers are matrix multiplies too; max-pooling keeps its arg-max for
/// the backward pass.
/// </summary>
/// <remarks>
/// <para>An instance is not thread-safe: it owns the activations of the last batch. Its buffers
/// grow to the largest batch it has been given (for a batch of 32 on MNIST, about 20 MB), so
/// the trainer and the evaluator each make their own.</para>
/// <para><see cref="Threads"/> is how many threads one batch may use (matrix multiplies split their
/// output, the other layers their channels). The default is 1: a silo trains many devices at once,
/// which already keeps its cores busy, and one thread per device avoids oversubscription and
/// fork/join overhead. A lone trainer (a benchmark, a single-device learner) gains from up to
/// <see cref="Environment.ProcessorCount"/>. Results are bit-identical whatever the thread count:
/// no reduction is ever split between threads.</para>
/// <para>The per-sample <see cref="AddGradient"/> and <see cref="Logits"/> are batches of one; the
/// trainer and the evaluator call <see cref="BatchGradient"/> and <see cref="BatchLogits"/>.</para>
/// </remarks>
internal sealed class CnnNetwork : ModelNetwork
{
    /// <summary>
    /// Samples one forward pass takes when the caller leaves the choice to it (<see cref="BatchLogits"/>):
    /// the usual training batch. Its products are already wide enough to keep the kernels busy
    /// (32 × 676 columns for conv1), so a larger one would only take more memory.
    /// </summary>
    private const int ForwardBatch = 32;

    private readonly int _channels;
    private readonly int _height;
    private readonly int _width;
    private readonly int _kernel;
    private readonly int _pool;
    private readonly int _filters1;
    private readonly int _filters2;
    private readonly int _hidden;
    private readonly int _classes;
    private readonly int _flat;
    private readonly int _conv1Size;
    private readonly int _pool1Size;
    private readonly int _conv2Size;
    private readonly int _pool2Size;
    private readonly int _parameterCount;
    private readonly int _conv1Weight;
    private readonly int _conv1Bias;
    private readonly int _conv2Weight;
    private readonly int _conv2Bias;
    private readonly int _fc1Weight;
    private readonly int _fc1Bias;
    private readonly int _fc2Weight;
    private readonly int _fc2Bias;

    private int _capacity;
    private float[] _input = [];
    private float[] _col1 = [];
    private float[] _y1 = [];
    private float[] _p1 = [];
    private int[] _arg1 = [];
    private float[] _col2 = [];
    private float[] _y2 = [];
    private float[] _p2 = [];
    private int[] _arg2 = [];
    private float[] _x3 = [];
    private float[] _h = [];
    private float[] _z = [];
    private float[] _dz = [];
    private float[] _dh = [];
    private float[] _dx3 = [];
    private float[] _dp2 = [];
    private float[] _dp1 = [];
    private float[] _planeSums = [];
    private float[]? _parameterCopy;
    private float[]? _sampleGradient;

    /// <param name="architecture">The network.</param>
    /// <param name="threads">Threads one batch may use, 1 to <see cref="Environment.ProcessorCount"/> (see the remarks on the type).</param>
    public CnnNetwork(CnnArchitecture architecture, int threads = 1)
        : base(architecture.InputCount, architecture.ClassCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Architecture = architecture;
        Threads = Math.Min(threads, Environment.ProcessorCount);

        var a = architecture;
        _channels = a.Channels;
        _height = a.Height;
        _width = a.Width;
        _kernel = a.KernelSize;
        _pool = a.PoolSize;
        _filters1 = a.Conv1Filters;
        _filters2 = a.Conv2Filters;
        _hidden = a.HiddenCount;
        _classes = a.ClassCount;
        _flat = a.FlattenCount;
        _conv1Size = a.Conv1Height * a.Conv1Width;
        _pool1Size = a.Pool1Height * a.Pool1Width;
        _conv2Size = a.Conv2Height * a.Conv2Width;
        _pool2Size = a.Pool2Height * a.Pool2Width;

        var layout = a.Layout;
        _parameterCount = checked((int)layout.ParameterCount);
        _conv1Weight = (int)layout.OffsetOf(0);
        _conv1Bias = (int)layout.OffsetOf(1);
        _conv2Weight = (int)layout.OffsetOf(2);
        _conv2Bias = (int)layout.OffsetOf(3);
        _fc1Weight = (int)layout.OffsetOf(4);
        _fc1Bias = (int)layout.OffsetOf(5);
        _fc2Weight = (int)layout.OffsetOf(6);
        _fc2Bias = (int)layout.OffsetOf(7);
    }

    public CnnArchitecture Architecture { get; }

    public int Threads { get; }

    /// <summary>
    /// Fresh parameters into zeroed <paramref name="parameters"/>, reproducible from the seed:
    /// He-uniform (±√(6/fan_in)) for the layers followed by a ReLU (both convolutions and fc1),
    /// Xavier-uniform for the output layer, zero biases, as <see cref="MlpKind"/> starts.
    /// </summary>
    public static void Initialize(CnnArchitecture architecture, Span<float> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var layout = architecture.Layout;
        if (parameters.Length != layout.ParameterCount)
        {
            throw new ArgumentException($"The CNN has {layout.ParameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        var random = new Random(seed);
        var k2 = architecture.KernelSize * architecture.KernelSize;
        for (var t = 0; t < layout.Tensors.Count; t++)
        {
            var name = layout.Tensors[t].Name;
            if (!name.EndsWith(".weight", StringComparison.Ordinal))
            {
                continue;
            }

            var fanIn = name switch
            {
                "conv1.weight" => architecture.Channels * k2,
                "conv2.weight" => architecture.Conv1Filters * k2,
                "fc1.weight" => architecture.FlattenCount,
                _ => architecture.HiddenCount,
            };
            var limit = name == "fc2.weight"
                ? Math.Sqrt(6.0 / (architecture.HiddenCount + architecture.ClassCount))
                : Math.Sqrt(6.0 / fanIn);
            var values = parameters.Slice((int)layout.OffsetOf(t), (int)layout.Tensors[t].Count);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(((random.NextDouble() * 2.0) - 1.0) * limit);
            }
        }
    }

    /// <summary>
    /// Writes the gradient of the summed cross-entropy of the batch to <paramref name="gradient"/>
    /// and returns that sum. Every element is written: the backward pass overwrites each tensor.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double BatchGradient(float[] parameters, Dataset data, ReadOnlySpan<int> rows, float[] gradient)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckParameters(parameters);
        CheckParameters(gradient, nameof(gradient));
        var n = rows.Length;
        if (n == 0)
        {
            Array.Clear(gradient);
            return 0;
        }

        Reserve(n);
        for (var b = 0; b < n; b++)
        {
            LoadSample(data.Row(rows[b]), b, n);
        }

        Forward(parameters, n);
        var loss = 0.0;
        for (var b = 0; b < n; b++)
        {
            loss += SoftmaxDelta(b, data.Labels[rows[b]]);
        }

        Backward(parameters, n, gradient);
        return loss;
    }

    /// <summary>Logits of any number of samples (row after row), computed <see cref="ForwardBatch"/> at a time or as many as the buffers hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void BatchLogits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits)
    {
        var count = CountRows(features, logits);
        var p = ParameterArray(parameters);
        var inputs = InputCount;
        var batch = Math.Max(_capacity, Math.Min(count, ForwardBatch));
        for (var start = 0; start < count; start += batch)
        {
            var n = Math.Min(batch, count - start);
            Reserve(n);
            for (var b = 0; b < n; b++)
            {
                LoadSample(features.Slice((start + b) * inputs, inputs), b, n);
            }

            Forward(p, n);
            _z.AsSpan(0, n * _classes).CopyTo(logits.Slice(start * _classes, n * _classes));
        }
    }

    public override void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits) =>
        BatchLogits(parameters, features, logits);

    /// <summary>One sample's gradient, as a batch of one into scratch then added: for the per-sample contract, not for speed.</summary>
    public override double AddGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, int label, Span<float> gradient)
    {
        if (features.Length != InputCount || gradient.Length != _parameterCount || (uint)label >= (uint)_classes)
        {
            throw new ArgumentException($"Expected {InputCount} features, a label below {_classes} and a gradient of {_parameterCount}.", nameof(features));
        }

        var p = ParameterArray(parameters);
        Reserve(1);
        LoadSample(features, 0, 1);
        Forward(p, 1);
        var loss = SoftmaxDelta(0, label);
        _sampleGradient ??= new float[_parameterCount];
        Backward(p, 1, _sampleGradient);
        TensorPrimitives.Add(gradient, _sampleGradient, gradient);
        return loss;
    }

    private void CheckParameters(float[] parameters, string name = "parameters")
    {
        ArgumentNullException.ThrowIfNull(parameters, name);
        if (parameters.Length != _parameterCount)
        {
            throw new ArgumentException($"The CNN has {_parameterCount} parameters but {parameters.Length} were given.", name);
        }
    }

    /// <summary>The parameters as an array for the matrix kernels, copied once per call into one kept for it.</summary>
    private float[] ParameterArray(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != _parameterCount)
        {
            throw new ArgumentException($"The CNN has {_parameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        _parameterCopy ??= new float[_parameterCount];
        parameters.CopyTo(_parameterCopy);
        return _parameterCopy;
    }

    /// <summary>Grows the buffers to hold a batch of <paramref name="n"/>; they never shrink.</summary>
    private void Reserve(int n)
    {
        if (n <= _capacity)
        {
            return;
        }

        var a = Architecture;
        var kk = _kernel * _kernel;
        _input = new float[checked(n * a.InputCount)];
        _col1 = new float[checked(_channels * kk * n * _conv1Size)];
        _y1 = new float[checked(_filters1 * n * _conv1Size)];
        _p1 = new float[checked(_filters1 * n * _pool1Size)];
        _arg1 = new int[_p1.Length];
        _col2 = new float[checked(_filters1 * kk * n * _conv2Size)];
        _y2 = new float[checked(_filters2 * n * _conv2Size)];
        _p2 = new float[checked(_filters2 * n * _pool2Size)];
        _arg2 = new int[_p2.Length];
        _x3 = new float[checked(n * _flat)];
        _h = new float[checked(n * _hidden)];
        _z = new float[checked(n * _classes)];
        _dz = new float[_z.Length];
        _dh = new float[_h.Length];
        _dx3 = new float[_x3.Length];
        _dp2 = new float[_p2.Length];
        _dp1 = new float[_p1.Length];
        _planeSums = new float[Math.Max(_filters1, _filters2) * n];
        _capacity = n;
    }

    /// <summary>Sample <paramref name="b"/> of <paramref name="n"/>, [C, H, W], into the input buffer laid out [C, n, H, W].</summary>
    private void LoadSample(ReadOnlySpan<float> sample, int b, int n)
    {
        var plane = _height * _width;
        for (var c = 0; c < _channels; c++)
        {
            sample.Slice(c * plane, plane).CopyTo(_input.AsSpan(((c * n) + b) * plane, plane));
        }
    }

    /// <summary>Sample <paramref name="b"/>'s cross-entropy; leaves the gradient at its logits, softmax(z) − onehot(label), in <c>_dz</c>.</summary>
    private double SoftmaxDelta(int b, int label) =>
        ModelMath.SoftmaxCrossEntropyDelta(_z.AsSpan(b * _classes, _classes), _dz.AsSpan(b * _classes, _classes), label);

    private void Forward(float[] p, int n)
    {
        var threads = Threads;
        var kk = _kernel * _kernel;

        // conv1 → ReLU → pool: y1[F1, n·O1] = W1[F1, C·k·k] · col1; the bias b1 is added after pooling.
        var columns1 = n * _conv1Size;
        CnnLayers.Im2Col(_input, _channels, n, _height, _width, _kernel, _col1, threads);
        Sgemm.Multiply(false, false, _filters1, columns1, _channels * kk, p, _conv1Weight, _channels * kk, _col1, 0, columns1, _y1, 0, columns1, false, threads);
        var a = Architecture;
        CnnLayers.MaxPoolRelu(_y1, _filters1 * n, a.Conv1Height, a.Conv1Width, _pool, p, _conv1Bias, n, _p1, _arg1, threads);

        // conv2 → ReLU → pool.
        var columns2 = n * _conv2Size;
        CnnLayers.Im2Col(_p1, _filters1, n, a.Pool1Height, a.Pool1Width, _kernel, _col2, threads);
        Sgemm.Multiply(false, false, _filters2, columns2, _filters1 * kk, p, _conv2Weight, _filters1 * kk, _col2, 0, columns2, _y2, 0, columns2, false, threads);
        CnnLayers.MaxPoolRelu(_y2, _filters2 * n, a.Conv2Height, a.Conv2Width, _pool, p, _conv2Bias, n, _p2, _arg2, threads);

        // Flatten [F2, n, h·w] → [n, F2·h·w] in PyTorch's per-sample [channel, row, column] order.
        for (var c = 0; c < _filters2; c++)
        {
            for (var b = 0; b < n; b++)
            {
                _p2.AsSpan(((c * n) + b) * _pool2Size, _pool2Size).CopyTo(_x3.AsSpan((b * _flat) + (c * _pool2Size), _pool2Size));
            }
        }

        // fc1 → ReLU → fc2: h[n, H] = x3 · W3ᵀ + b3, z[n, classes] = h · W4ᵀ + b4.
        for (var b = 0; b < n; b++)
        {
            p.AsSpan(_fc1Bias, _hidden).CopyTo(_h.AsSpan(b * _hidden, _hidden));
            p.AsSpan(_fc2Bias, _classes).CopyTo(_z.AsSpan(b * _classes, _classes));
        }

        Sgemm.Multiply(false, true, n, _hidden, _flat, _x3, 0, _flat, p, _fc1Weight, _flat, _h, 0, _hidden, true, threads);
        var hidden = _h.AsSpan(0, n * _hidden);
        TensorPrimitives.Max(hidden, 0f, hidden);
        Sgemm.Multiply(false, true, n, _classes, _hidden, _h, 0, _hidden, p, _fc2Weight, _hidden, _z, 0, _classes, true, threads);
    }

    /// <summary>Back-propagates <c>_dz</c> (the gradient of the loss with respect to the logits) into <paramref name="g"/>.</summary>
    private void Backward(float[] p, int n, float[] g)
    {
        var threads = Threads;
        var kk = _kernel * _kernel;
        var a = Architecture;

        // fc2: dW4 = dzᵀ · h, db4 = Σ_b dz, dh = dz · W4, masked by the ReLU.
        Sgemm.Multiply(true, false, _classes, _hidden, n, _dz, 0, _classes, _h, 0, _hidden, g, _fc2Weight, _hidden, false, threads);
        ColumnSums(_dz, n, _classes, g.AsSpan(_fc2Bias, _classes));
        Sgemm.Multiply(false, false, n, _hidden, _classes, _dz, 0, _classes, p, _fc2Weight, _hidden, _dh, 0, _hidden, false, threads);
        for (var i = 0; i < n * _hidden; i++)
        {
            if (_h[i] <= 0f)
            {
                _dh[i] = 0f;
            }
        }

        // fc1: dW3 = dhᵀ · x3, db3 = Σ_b dh, dx3 = dh · W3.
        Sgemm.Multiply(true, false, _hidden, _flat, n, _dh, 0, _hidden, _x3, 0, _flat, g, _fc1Weight, _flat, false, threads);
        ColumnSums(_dh, n, _hidden, g.AsSpan(_fc1Bias, _hidden));
        Sgemm.Multiply(false, false, n, _flat, _hidden, _dh, 0, _hidden, p, _fc1Weight, _flat, _dx3, 0, _flat, false, threads);

        // Unflatten into [F2, n, h·w], then through pool2 and ReLU into dy2 (reusing y2's buffer).
        for (var c = 0; c < _filters2; c++)
        {
            for (var b = 0; b < n; b++)
            {
                _dx3.AsSpan((b * _flat) + (c * _pool2Size), _pool2Size).CopyTo(_dp2.AsSpan(((c * n) + b) * _pool2Size, _pool2Size));
            }
        }

        var dy2 = _y2;
        CnnLayers.MaxPoolReluBackward(_dp2, _p2, _arg2, _filters2 * n, a.Conv2Height, a.Conv2Width, _pool, dy2, _planeSums, threads);
        ChannelSums(_planeSums, _filters2, n, g.AsSpan(_conv2Bias, _filters2));

        // conv2: dW2 = dy2 · col2ᵀ, db2 = Σ dy2 per filter (above), dcol2 = W2ᵀ · dy2 (into col2's buffer, no longer needed).
        var columns2 = n * _conv2Size;
        var rows2 = _filters1 * kk;
        Sgemm.Multiply(false, true, _filters2, rows2, columns2, dy2, 0, columns2, _col2, 0, columns2, g, _conv2Weight, rows2, false, threads);
        var dcol2 = _col2;
        Sgemm.Multiply(true, false, rows2, columns2, _filters2, p, _conv2Weight, rows2, dy2, 0, columns2, dcol2, 0, columns2, false, threads);
        CnnLayers.Col2Im(dcol2, _filters1, n, a.Pool1Height, a.Pool1Width, _kernel, _dp1, threads);

        // pool1 and ReLU into dy1 (reusing y1's buffer), then conv1's weights; the input needs no gradient.
        var dy1 = _y1;
        CnnLayers.MaxPoolReluBackward(_dp1, _p1, _arg1, _filters1 * n, a.Conv1Height, a.Conv1Width, _pool, dy1, _planeSums, threads);
        ChannelSums(_planeSums, _filters1, n, g.AsSpan(_conv1Bias, _filters1));
        var columns1 = n * _conv1Size;
        var rows1 = _channels * kk;
        Sgemm.Multiply(false, true, _filters1, rows1, columns1, dy1, 0, columns1, _col1, 0, columns1, g, _conv1Weight, rows1, false, threads);
    }

    /// <summary>A convolution's bias gradient: the per-plane sums [channels, n] added up per channel, in sample order.</summary>
    private static void ChannelSums(float[] planeSums, int channels, int n, Span<float> sums)
    {
        for (var c = 0; c < channels; c++)
        {
            sums[c] = TensorPrimitives.Sum(planeSums.AsSpan(c * n, n));
        }
    }

    private static void ColumnSums(float[] matrix, int rows, int columns, Span<float> sums)
    {
        sums.Clear();
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sums, matrix.AsSpan(r * columns, columns), sums);
        }
    }
}
