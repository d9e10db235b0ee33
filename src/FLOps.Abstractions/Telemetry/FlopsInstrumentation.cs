namespace FLOps.Abstractions.Telemetry;

/// <summary>
/// The names FLOps publishes its own metrics and traces under: the grains record on the meter and
/// start spans on the activity source; every host's telemetry (silo or gateway) listens to them.
/// The meter's name is each FLOps series' <c>otel_scope_name</c>.
/// </summary>
public static class FlopsInstrumentation
{
    /// <summary>The meter of the learning itself (<c>flops.rounds.completed</c>, …).</summary>
    public const string MeterName = "FLOps";

    /// <summary>The activity source of rounds and device tasks.</summary>
    public const string ActivitySourceName = "FLOps";
}
