using System.Globalization;
using System.Numerics.Tensors;
using FLOps.Learning.Privacy;

namespace FLOps.Learning.Validation;

/// <summary>
/// The one place that decides whether an update's content may be aggregated: its parameter count,
/// its sample count (0 &lt; n ≤ a maximum, so that weights cannot overflow the accumulator), finite
/// values and, when the project sets one, a bound on its change from the global model. The
/// gateway, the device grain, the round grain and the aggregation rounds all ask it, and nothing is
/// added to an aggregate before it said yes.
/// </summary>
public static class UpdateValidator
{
    public const long DefaultMaxSampleCount = 1_000_000_000;

    public static UpdateCheck CheckSampleCount(long sampleCount, long maxSampleCount) =>
        sampleCount > 0 && sampleCount <= maxSampleCount
            ? UpdateCheck.Valid
            : new UpdateCheck(UpdateProblem.SampleCount, Invariant($"sample count must be between 1 and {maxSampleCount} (got {sampleCount})"));

    /// <summary>Shape, sample count and finite values: what needs no global model.</summary>
    public static UpdateCheck Check(ReadOnlySpan<float> parameters, int parameterCount, long sampleCount, long maxSampleCount)
    {
        if (parameters.Length != parameterCount)
        {
            return new UpdateCheck(UpdateProblem.Shape, Invariant($"expected {parameterCount} parameters, got {parameters.Length}"));
        }

        if (CheckSampleCount(sampleCount, maxSampleCount) is { IsValid: false } samples)
        {
            return samples;
        }

        // One NaN or infinity would silently poison every later global model.
        return TensorPrimitives.IsFiniteAll(parameters)
            ? UpdateCheck.Valid
            : new UpdateCheck(UpdateProblem.NotFinite, "parameters contain NaN or infinity");
    }

    /// <summary>Everything, including the bound on ‖update − global‖₂ when <paramref name="maxUpdateNorm"/> is set.</summary>
    public static UpdateCheck Check(ReadOnlySpan<float> parameters, ReadOnlySpan<float> global, long sampleCount, long maxSampleCount, double? maxUpdateNorm)
    {
        var check = Check(parameters, global.Length, sampleCount, maxSampleCount);
        if (!check.IsValid || maxUpdateNorm is not { } bound)
        {
            return check;
        }

        var norm = ServerSideFixedClipping.DistanceL2(parameters, global);
        return norm <= bound
            ? UpdateCheck.Valid
            : new UpdateCheck(UpdateProblem.NormBound, Invariant($"update norm ‖update − global‖ = {norm:G4} exceeds maxUpdateNorm {bound:G4}"));
    }

    /// <summary>For aggregation rounds, which only ever get updates that passed: a failed check here is a bug, not input.</summary>
    public static void ThrowIfInvalid(ReadOnlySpan<float> parameters, int parameterCount, long sampleCount)
    {
        if (Check(parameters, parameterCount, sampleCount, long.MaxValue) is { IsValid: false } check)
        {
            throw new ArgumentException(check.Reason, check.Problem == UpdateProblem.SampleCount ? nameof(sampleCount) : nameof(parameters));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
