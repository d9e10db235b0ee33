using System.Runtime.CompilerServices;
using FLOps.Learning.Data;

namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// One kind's forward pass and gradient at one architecture, with the buffers they need, so that
/// the loops of the trainer and the evaluator never allocate. Made per computation by
/// <see cref="IModelKind.CreateNetwork"/> and used by one thread.
/// </summary>
/// <remarks>
/// A kind writes the per-sample methods; the trainer and the evaluator call the batch methods,
/// whose defaults run the samples one by one. A kind that computes a batch at once (as matrix
/// products, like <c>cnn</c>) overrides them: it is the batch, not the sample, that keeps its
/// kernels busy.
/// </remarks>
/// <param name="inputCount">Features per sample.</param>
/// <param name="classCount">Logits per sample.</param>
public abstract class ModelNetwork(int inputCount, int classCount)
{
    public int InputCount { get; } = inputCount;

    public int ClassCount { get; } = classCount;

    /// <summary>Writes the logits of one sample.</summary>
    public abstract void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits);

    /// <summary>
    /// Adds the gradient of one sample's cross-entropy with respect to the parameters to
    /// <paramref name="gradient"/> (laid out as the parameters) and returns that cross-entropy.
    /// </summary>
    public abstract double AddGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, int label, Span<float> gradient);

    /// <summary>
    /// Writes (does not add) the gradient of the summed cross-entropy of the samples
    /// <paramref name="rows"/> of <paramref name="data"/> to <paramref name="gradient"/>, and
    /// returns that sum. By default, sample after sample through <see cref="AddGradient"/>.
    /// </summary>
    /// <remarks>
    /// Arrays rather than spans, because a batched kind hands the parameters and the gradient to
    /// matrix kernels that may split their work over threads, which a span cannot cross.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public virtual double BatchGradient(float[] parameters, Dataset data, ReadOnlySpan<int> rows, float[] gradient)
    {
        ArgumentNullException.ThrowIfNull(data);
        Array.Clear(gradient);
        var loss = 0.0;
        foreach (var row in rows)
        {
            loss += AddGradient(parameters, data.Row(row), data.Labels[row], gradient);
        }

        return loss;
    }

    /// <summary>
    /// Writes the logits of consecutive samples: <paramref name="features"/> holds whole rows of
    /// <see cref="InputCount"/>, <paramref name="logits"/> receives one row of <see cref="ClassCount"/>
    /// per sample. By default, sample after sample through <see cref="Logits"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public virtual void BatchLogits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits)
    {
        var count = CountRows(features, logits);
        for (var i = 0; i < count; i++)
        {
            Logits(parameters, features.Slice(i * InputCount, InputCount), logits.Slice(i * ClassCount, ClassCount));
        }
    }

    /// <summary>The samples in <paramref name="features"/>, checked against the room in <paramref name="logits"/>.</summary>
    protected int CountRows(ReadOnlySpan<float> features, ReadOnlySpan<float> logits)
    {
        var count = features.Length / InputCount;
        if (features.Length != count * InputCount || logits.Length != count * ClassCount)
        {
            throw new ArgumentException(
                $"{features.Length} features are not whole rows of {InputCount}, or their {count} samples need {count * ClassCount} logits but {logits.Length} were given.",
                nameof(features));
        }

        return count;
    }
}
