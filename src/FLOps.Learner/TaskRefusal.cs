namespace FLOps.Learner;

/// <summary>Why a learner cannot take a task.</summary>
public enum TaskRefusal
{
    /// <summary>The task can be taken.</summary>
    None,

    /// <summary>A field the learner needs (an id, the model hash, the model or one of its sizes) is absent or empty.</summary>
    MissingField,

    /// <summary>The model is of a kind this learner cannot train.</summary>
    UnsupportedModel,

    /// <summary>A size or a training setting is outside what a learner accepts.</summary>
    OutOfRange,

    /// <summary>The task's parameter count or layout is not the one its architecture has.</summary>
    ParameterCountMismatch,

    /// <summary>The task is well formed but the local data cannot train its model.</summary>
    DataDoesNotFit,
}
