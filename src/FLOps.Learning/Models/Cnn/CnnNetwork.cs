using System.Numerics.Tensors;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;

namespace FLOps.Learning.Models.Cnn;

/// <summary>
/// Forward and backward passes of a <see cref="CnnArchitecture"/> over mini-batches, with the
/// buffers they need. Convolutions are im2col + <see cref="Sgemm"/> over the whole batch; dense
/// layers are matrix multiplies too; max-pooling keeps its arg-max for the backward pass.
/// </summary>
/// <remarks>
/// <para>An instance is not thread-safe: it owns the activations of the last batch. Create one per
/// concurrent trainer (buffers for a batch of 32 on MNIST take about 20 MB).</para>
/// <para><see cref="Threads"/> is how many threads one batch may use (matrix multiplies split their
/// output, the other layers their channels). The default is 1: a silo trains many devices at once,
/// which already keeps its cores busy, and one thread per device avoids oversubscription and
/// fork/join overhead. A lone trainer (a benchmark, a single-device learner) gains from up to
/// <see cref="Environment.ProcessorCount"/>. Results are bit-identical whatever the thread count:
/// no reduction is ever split between threads.</para>
/// </remarks>
public sealed class CnnNetwork
{
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
    private readonly int _conv1Weight;
    private readonly int _conv1Bias;
    private readonly int _conv2Weight;
    private readonly int _conv2Bias;
    private readonly int _fc1Weight;
    private readonly int _fc1Bias;
    private readonly int _fc2Weight;
    private readonly int _fc2Bias;

    private readonly float[] _input;
    private readonly float[] _col1;
    private readonly float[] _y1;
    private readonly float[] _p1;
    private readonly int[] _arg1;
    private readonly float[] _col2;
    private readonly float[] _y2;
    private readonly float[] _p2;
    private readonly int[] _arg2;
    private readonly float[] _x3;
    private readonly float[] _h;
    private readonly float[] _z;
    private readonly float[] _dz;
    private readonly float[] _dh;
    private readonly float[] _dx3;
    private readonly float[] _dp2;
    private readonly float[] _dp1;
    private readonly float[] _planeSums;
    private float[]? _parameterCopy;

    /// <param name="architecture">The network.</param>
    /// <param name="maxBatchSize">The largest batch <see cref="LossAndGradient"/> and <see cref="Logits"/> take at once; buffers are sized for it.</param>
    /// <param name="threads">Threads one batch may use, 1 to <see cref="Environment.ProcessorCount"/> (see the remarks on the type).</param>
    public CnnNetwork(CnnArchitecture architecture, int maxBatchSize = 32, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Architecture = architecture;
        MaxBatchSize = maxBatchSize;
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

        var tensors = a.Tensors;
        _conv1Weight = tensors[0].Offset;
        _conv1Bias = tensors[1].Offset;
        _conv2Weight = tensors[2].Offset;
        _conv2Bias = tensors[3].Offset;
        _fc1Weight = tensors[4].Offset;
        _fc1Bias = tensors[5].Offset;
        _fc2Weight = tensors[6].Offset;
        _fc2Bias = tensors[7].Offset;

        var n = maxBatchSize;
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
    }

    public CnnArchitecture Architecture { get; }

    public int MaxBatchSize { get; }

    public int Threads { get; }

    /// <summary>
    /// Fresh parameters, reproducible from the seed: He-uniform (±√(6/fan_in)) for the layers followed
    /// by a ReLU (both convolutions and fc1), Xavier-uniform for the output layer, zero biases, as
    /// <see cref="ModelInitializer"/> does for the MLP.
    /// </summary>
    public static float[] Initialize(CnnArchitecture architecture, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var parameters = new float[architecture.ParameterCount];
        var random = new Random(seed);
        var k2 = architecture.KernelSize * architecture.KernelSize;
        foreach (var tensor in architecture.Tensors)
        {
            if (!tensor.Name.EndsWith(".weight", StringComparison.Ordinal))
            {
                continue;
            }

            var fanIn = tensor.Name switch
            {
                "conv1.weight" => architecture.Channels * k2,
                "conv2.weight" => architecture.Conv1Filters * k2,
                "fc1.weight" => architecture.FlattenCount,
                _ => architecture.HiddenCount,
            };
            var limit = tensor.Name == "fc2.weight"
                ? Math.Sqrt(6.0 / (architecture.HiddenCount + architecture.ClassCount))
                : Math.Sqrt(6.0 / fanIn);
            var values = parameters.AsSpan(tensor.Offset, tensor.Length);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(((random.NextDouble() * 2.0) - 1.0) * limit);
            }
        }

        return parameters;
    }

    /// <summary>
    /// Mean cross-entropy of a batch and its gradient with respect to every parameter, written
    /// (not added) to <paramref name="gradient"/> in the flat layout.
    /// </summary>
    /// <param name="parameters">The flat parameters (<see cref="CnnArchitecture.ParameterCount"/>).</param>
    /// <param name="features">The batch's samples, one row of <see cref="CnnArchitecture.InputCount"/> after another.</param>
    /// <param name="labels">The batch's labels; its length is the batch size, 1 to <see cref="MaxBatchSize"/>.</param>
    /// <param name="gradient">Receives the gradient of the mean loss.</param>
    public double LossAndGradient(float[] parameters, ReadOnlySpan<float> features, ReadOnlySpan<byte> labels, float[] gradient)
    {
        var n = CheckBatch(parameters, features, labels.Length);
        ArgumentNullException.ThrowIfNull(gradient);
        if (gradient.Length != parameters.Length)
        {
            throw new ArgumentException($"The gradient needs {parameters.Length} elements but has {gradient.Length}.", nameof(gradient));
        }

        LoadBatch(features, n);
        Forward(parameters, n);

        // Softmax cross-entropy: dz = (softmax(z) − onehot(label)) / n, the gradient of the mean.
        var loss = 0.0;
        var scale = 1f / n;
        for (var b = 0; b < n; b++)
        {
            var label = labels[b];
            if (label >= _classes)
            {
                throw new ArgumentException($"Label {label} is outside the {_classes} classes.", nameof(labels));
            }

            var probabilities = _dz.AsSpan(b * _classes, _classes);
            ModelMath.StableSoftmax(_z.AsSpan(b * _classes, _classes), probabilities);
            loss += ModelMath.CrossEntropy(probabilities, label);
            probabilities[label] -= 1f;
            TensorPrimitives.Multiply(probabilities, scale, probabilities);
        }

        Backward(parameters, n, gradient);
        return loss / n;
    }

    /// <summary>Logits of any number of samples (row after row), computed in batches of <see cref="MaxBatchSize"/>.</summary>
    public void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits)
    {
        var p = ParameterArray(parameters);
        var inputs = Architecture.InputCount;
        if (features.Length % inputs != 0)
        {
            throw new ArgumentException($"Features must be whole rows of {inputs}; got {features.Length} values.", nameof(features));
        }

        var count = features.Length / inputs;
        if (logits.Length != count * _classes)
        {
            throw new ArgumentException($"{count} samples need {count * _classes} logits but {logits.Length} were given.", nameof(logits));
        }

        for (var start = 0; start < count; start += MaxBatchSize)
        {
            var n = Math.Min(MaxBatchSize, count - start);
            LoadBatch(features.Slice(start * inputs, n * inputs), n);
            Forward(p, n);
            _z.AsSpan(0, n * _classes).CopyTo(logits.Slice(start * _classes, n * _classes));
        }
    }

    /// <summary>Writes the class probabilities of one sample and returns the most probable class (ties to the lowest).</summary>
    public int Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> probabilities)
    {
        if (features.Length != Architecture.InputCount)
        {
            throw new ArgumentException($"Expected {Architecture.InputCount} features but got {features.Length}.", nameof(features));
        }

        if (probabilities.Length < _classes)
        {
            throw new ArgumentException($"Need room for {_classes} probabilities but got {probabilities.Length}.", nameof(probabilities));
        }

        var output = probabilities[.._classes];
        Logits(parameters, features, output);
        ModelMath.StableSoftmax(output, output);
        return ModelMath.ArgMax(output);
    }

    /// <summary>Accuracy and log-loss over a dataset, as <see cref="ModelEvaluator"/> reports them for the other kinds.</summary>
    public EvaluationResult Evaluate(ReadOnlySpan<float> parameters, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != Architecture.InputCount || data.ClassCount != _classes)
        {
            throw new ArgumentException(
                $"The dataset has {data.FeatureCount} features and {data.ClassCount} classes but the CNN expects {Architecture.InputCount} and {_classes}.",
                nameof(data));
        }

        if (data.Count == 0)
        {
            return new EvaluationResult(0, 0, 0);
        }

        var p = ParameterArray(parameters);
        var probabilities = new float[_classes];
        var correct = 0;
        var loss = 0.0;
        for (var start = 0; start < data.Count; start += MaxBatchSize)
        {
            var n = Math.Min(MaxBatchSize, data.Count - start);
            LoadBatch(data.Features.AsSpan(start * data.FeatureCount, n * data.FeatureCount), n);
            Forward(p, n);
            for (var b = 0; b < n; b++)
            {
                ModelMath.StableSoftmax(_z.AsSpan(b * _classes, _classes), probabilities);
                var label = data.Labels[start + b];
                if (ModelMath.ArgMax(probabilities) == label)
                {
                    correct++;
                }

                loss += ModelMath.CrossEntropy(probabilities, label);
            }
        }

        return new EvaluationResult((double)correct / data.Count, loss / data.Count, data.Count);
    }

    private int CheckBatch(float[] parameters, ReadOnlySpan<float> features, int count)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != Architecture.ParameterCount)
        {
            throw new ArgumentException($"The CNN has {Architecture.ParameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        if (count < 1 || count > MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxBatchSize} samples; got {count}.", nameof(features));
        }

        if (features.Length != count * Architecture.InputCount)
        {
            throw new ArgumentException($"{count} samples need {count * Architecture.InputCount} features but {features.Length} were given.", nameof(features));
        }

        return count;
    }

    private float[] ParameterArray(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != Architecture.ParameterCount)
        {
            throw new ArgumentException($"The CNN has {Architecture.ParameterCount} parameters but {parameters.Length} were given.", nameof(parameters));
        }

        _parameterCopy ??= new float[parameters.Length];
        parameters.CopyTo(_parameterCopy);
        return _parameterCopy;
    }

    /// <summary>Samples [n, C, H, W] → the input buffer as [C, n, H, W].</summary>
    private void LoadBatch(ReadOnlySpan<float> features, int n)
    {
        var plane = _height * _width;
        if (_channels == 1)
        {
            features[..(n * plane)].CopyTo(_input);
            return;
        }

        for (var b = 0; b < n; b++)
        {
            for (var c = 0; c < _channels; c++)
            {
                features.Slice(((b * _channels) + c) * plane, plane).CopyTo(_input.AsSpan(((c * n) + b) * plane, plane));
            }
        }
    }

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
