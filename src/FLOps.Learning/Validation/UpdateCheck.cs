namespace FLOps.Learning.Validation;

/// <summary>The verdict on an update: <see cref="UpdateProblem.None"/>, or the problem and a reason for people.</summary>
public readonly record struct UpdateCheck(UpdateProblem Problem, string? Reason)
{
    public static UpdateCheck Valid => default;

    public bool IsValid => Problem == UpdateProblem.None;
}
