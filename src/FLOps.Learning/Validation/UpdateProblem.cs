namespace FLOps.Learning.Validation;

/// <summary>What is wrong with an update's content (each a label of <c>flops_updates_received_total</c>'s reason).</summary>
public enum UpdateProblem
{
    None = 0,
    Shape,
    SampleCount,
    NotFinite,
    NormBound,
}
