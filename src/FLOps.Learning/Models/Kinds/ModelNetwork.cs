namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// One kind's forward pass and gradient at one architecture, with the buffers they need, so that
/// the loops of the trainer and the evaluator never allocate. Made per computation by
/// <see cref="IModelKind.CreateNetwork"/> and used by one thread.
/// </summary>
public abstract class ModelNetwork
{
    /// <summary>Writes the logits of one sample.</summary>
    public abstract void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> logits);

    /// <summary>
    /// Adds the gradient of one sample's cross-entropy with respect to the parameters to
    /// <paramref name="gradient"/> (laid out as the parameters) and returns that cross-entropy.
    /// </summary>
    public abstract double AddGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, int label, Span<float> gradient);
}
