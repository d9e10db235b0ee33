namespace FLOps.Grains;

public sealed class FlopsGrainOptions
{
    /// <summary>
    /// How often a running project's reminder checks that its current round is alive. It bounds
    /// how long a round whose silo died waits when no device calls it; reminders tick at most once
    /// a minute unless the host lowers Orleans' minimum reminder period.
    /// </summary>
    public TimeSpan ProjectTick { get; set; } = TimeSpan.FromMinutes(1);
}
