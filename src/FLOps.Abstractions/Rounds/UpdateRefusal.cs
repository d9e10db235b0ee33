namespace FLOps.Abstractions.Rounds;

/// <summary>Why an update was not counted, as a kind the caller can act on without reading the message.</summary>
[GenerateSerializer, Alias("flops.UpdateRefusal")]
public enum UpdateRefusal
{
    /// <summary>Accepted: nothing refused.</summary>
    None = 0,

    /// <summary>Wrong shape, NaN or infinity, sample count out of bounds, change above the norm bound: the sender's fault.</summary>
    Malformed = 1,

    /// <summary>The device was not selected for the round.</summary>
    NotSelected = 2,

    /// <summary>The round is closed (or not started): the update came too late.</summary>
    Late = 3,

    /// <summary>The device already reported for this round.</summary>
    Duplicate = 4,

    /// <summary>Trained from another model version than the task's.</summary>
    Stale = 5,

    /// <summary>Names a task the device does not hold, or another round's.</summary>
    WrongTask = 6,
}
