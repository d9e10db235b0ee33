namespace FLOps.Learning.Models;

public enum ModelKind
{
    /// <summary>Multinomial logistic regression: logits = W·x + b.</summary>
    Softmax,

    /// <summary>One hidden ReLU layer: logits = W2·relu(W1·x + b1) + b2.</summary>
    Mlp,
}

/// <summary>
/// The shape of a model and the layout of its flat parameter vector. Every component that
/// touches parameters (trainers, aggregation, ONNX export) relies on this one layout:
/// <list type="bullet">
/// <item>Softmax: W [classes × inputs] row-major, then b [classes].</item>
/// <item>Mlp: W1 [hidden × inputs] row-major, b1 [hidden], W2 [classes × hidden] row-major, b2 [classes].</item>
/// </list>
/// </summary>
public sealed record ModelArchitecture(ModelKind Kind, int InputCount, int ClassCount, int HiddenCount = 0)
{
    public const int DefaultHiddenCount = 128;

    public static ModelArchitecture Softmax(int inputCount, int classCount) => new(ModelKind.Softmax, inputCount, classCount);

    public static ModelArchitecture Mlp(int inputCount, int classCount, int hiddenCount = DefaultHiddenCount) =>
        new(ModelKind.Mlp, inputCount, classCount, hiddenCount);

    public int ParameterCount => checked((int)CountParameters(Kind, InputCount, ClassCount, HiddenCount));

    /// <summary>
    /// The parameters of an architecture, in 64 bits: sizes a spec asks for are checked against a
    /// limit with this before any model of that size exists (or an int overflows).
    /// </summary>
    public static long CountParameters(ModelKind kind, long inputCount, long classCount, long hiddenCount) => kind switch
    {
        ModelKind.Softmax => checked((classCount * inputCount) + classCount),
        ModelKind.Mlp => checked((hiddenCount * inputCount) + hiddenCount + (classCount * hiddenCount) + classCount),
        _ => throw new InvalidOperationException($"Unknown model kind {kind}."),
    };
}
