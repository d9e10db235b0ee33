using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using FLOps.Learning.Validation;

namespace FLOps.Learning.Aggregation;

/// <summary>One update kept by a <see cref="BufferedRound"/>.</summary>
internal sealed record BufferedUpdate(float[] Parameters, long SampleCount);

/// <summary>
/// A round for robust strategies, which need every update at once: each added span is copied
/// once, so a round of n updates of D parameters holds O(n·D) floats until it completes
/// (FedAvg, FedProx and the FedOpt family stream in O(D) instead).
/// </summary>
/// <remarks>
/// Before combining, the updates are put in a canonical order (lexicographically by parameters,
/// then by sample count; see <see cref="CanonicalOrder"/>), so the result never depends on the order in which they arrived: ties,
/// float rounding and the like are all resolved the same way on every run.
/// </remarks>
internal sealed class BufferedRound(int parameterCount, Func<IReadOnlyList<BufferedUpdate>, float[]> combine) : IAggregationRound
{
    private List<BufferedUpdate>? _updates = [];

    public int UpdateCount => _updates?.Count ?? 0;

    public void Add(ReadOnlySpan<float> parameters, long sampleCount)
    {
        var updates = _updates ?? throw new InvalidOperationException("This round is already complete.");
        UpdateValidator.ThrowIfInvalid(parameters, parameterCount, sampleCount);

        updates.Add(new BufferedUpdate(parameters.ToArray(), sampleCount));
    }

    public float[] Complete()
    {
        var updates = _updates ?? throw new InvalidOperationException("This round is already complete.");
        if (updates.Count == 0)
        {
            throw new InvalidOperationException("Cannot complete a round to which no update was added.");
        }

        updates.Sort(CanonicalOrder);
        var result = combine(updates);
        _updates = null;
        return result;
    }

    /// <summary>
    /// A total order: by parameter values, then by their bits (so that −0 and +0 are told apart),
    /// then by sample count. Only updates identical in every bit and count compare equal.
    /// </summary>
    private static int CanonicalOrder(BufferedUpdate a, BufferedUpdate b)
    {
        var byValue = a.Parameters.AsSpan().SequenceCompareTo(b.Parameters);
        if (byValue != 0)
        {
            return byValue;
        }

        var byBits = MemoryMarshal.Cast<float, int>(a.Parameters.AsSpan()).SequenceCompareTo(MemoryMarshal.Cast<float, int>(b.Parameters.AsSpan()));
        return byBits != 0 ? byBits : a.SampleCount.CompareTo(b.SampleCount);
    }
}
