namespace FLOps.Inference;

/// <summary>
/// What scoring one sample gave: a <see cref="Scored"/> prediction whose scores are all finite, or
/// the reason there is none. NaN and infinities never leave the scorer as a prediction, so a caller
/// can always write one (JSON has no NaN) and must decide what each refusal means to its own caller.
/// </summary>
public abstract record Scoring
{
    private Scoring()
    {
    }

    /// <summary>The model's prediction; every score is a finite number.</summary>
    public sealed record Scored(Prediction Prediction) : Scoring;

    /// <summary>
    /// The input holds NaN or an infinity, first at <paramref name="Index"/>: the model was not run.
    /// (A JSON number beyond ±3.4e38, such as 1e39, reads as a float infinity.)
    /// </summary>
    public sealed record FeatureNotFinite(int Index, float Value) : Scoring;

    /// <summary>
    /// The model ran on finite features, but its score of class <paramref name="Class"/> (the first
    /// such) is NaN or an infinity: its arithmetic overflowed, from huge weights, huge features or both.
    /// </summary>
    public sealed record ScoresNotFinite(int Class, float Value) : Scoring;
}
