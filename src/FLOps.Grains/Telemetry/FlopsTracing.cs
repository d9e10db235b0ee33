using System.Diagnostics;
using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Rounds;
using FLOps.Abstractions.Telemetry;

namespace FLOps.Grains.Telemetry;

/// <summary>
/// The <c>FLOps</c> activity source (<see cref="FlopsInstrumentation.ActivitySourceName"/>): one
/// <c>round</c> span per round attempt, from hand-out to recorded result, and one
/// <c>device.task</c> span per task a device works on.
/// </summary>
public static class FlopsTracing
{
    public const string RoundSpan = "round";
    public const string DeviceTaskSpan = "device.task";

    private static readonly ActivitySource Source = new(FlopsInstrumentation.ActivitySourceName);

    /// <summary>Starts a round's span; <see langword="null"/> when nobody listens.</summary>
    public static Activity? StartRound(RoundPlan plan, int participants, bool resumed)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var span = Source.StartActivity(RoundSpan, ActivityKind.Internal);
        span?.SetTag("project", plan.ProjectId)
            .SetTag("round", plan.Round)
            .SetTag("attempt", plan.Attempt)
            .SetTag("participants", participants)
            .SetTag("resumed", resumed);
        return span;
    }

    /// <summary>Ends a round's span with its outcome (closed, failed, aborted, interrupted).</summary>
    public static void EndRound(Activity? span, string outcome, int accepted, double? accuracy)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("outcome", outcome).SetTag("updates", accepted);
        if (accuracy is { } a)
        {
            span.SetTag("accuracy", a);
        }

        if (outcome != "closed")
        {
            span.SetStatus(ActivityStatusCode.Error, outcome);
        }

        Stop(span);
    }

    /// <summary>Starts the span of a device's task (local training, or a learner's round trip).</summary>
    public static Activity? StartDeviceTask(TrainingTask task, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(task);
        var span = Source.StartActivity(DeviceTaskSpan, ActivityKind.Internal);
        span?.SetTag("project", ProjectOf(task.RoundKey))
            .SetTag("round", task.Round)
            .SetTag("device", deviceId);
        return span;
    }

    /// <summary>Ends a device task's span; a <paramref name="failure"/> marks it as an error.</summary>
    public static void EndDeviceTask(Activity? span, string outcome, string? failure = null)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("outcome", outcome);
        if (failure is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, failure);
        }

        Stop(span);
    }

    /// <summary>
    /// Stops a span that may not be <see cref="Activity.Current"/> here (it began in an earlier
    /// grain turn); stopping would otherwise make the span's own parent current in this turn.
    /// </summary>
    private static void Stop(Activity span)
    {
        var current = Activity.Current;
        span.Stop();
        if (!ReferenceEquals(current, span))
        {
            Activity.Current = current;
        }
    }

    /// <summary>The project of a round key (<c>{project}/{round}[.attempt]</c>).</summary>
    public static string ProjectOf(string roundKey)
    {
        ArgumentNullException.ThrowIfNull(roundKey);
        var slash = roundKey.LastIndexOf('/');
        return slash < 0 ? roundKey : roundKey[..slash];
    }
}
