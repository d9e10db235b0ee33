using System.Diagnostics.CodeAnalysis;
using FLOps.Learning.Models;
using FLOps.Learning.Training;

namespace FLOps.Learner;

/// <summary>
/// What <see cref="TaskValidator"/> concluded about a task: either the architecture and training
/// settings to use, or a refusal with a reason meant for the gateway's log and the device's.
/// </summary>
public sealed record TaskVerdict
{
    private TaskVerdict(TaskRefusal refusal, string? reason, ModelArchitecture? architecture, TrainingOptions? training)
    {
        Refusal = refusal;
        Reason = reason;
        Architecture = architecture;
        Training = training;
    }

    public TaskRefusal Refusal { get; }

    /// <summary>One line naming the field and the numbers at fault; null when the task can be taken.</summary>
    public string? Reason { get; }

    public ModelArchitecture? Architecture { get; }

    public TrainingOptions? Training { get; }

    [MemberNotNullWhen(true, nameof(Architecture), nameof(Training))]
    public bool CanTake => Architecture is not null && Training is not null;

    public static TaskVerdict Take(ModelArchitecture architecture, TrainingOptions training) =>
        new(TaskRefusal.None, null, architecture, training);

    public static TaskVerdict Refuse(TaskRefusal refusal, string reason)
    {
        if (refusal == TaskRefusal.None)
        {
            throw new ArgumentOutOfRangeException(nameof(refusal), "a refusal needs a kind other than None");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(refusal, reason, null, null);
    }
}
