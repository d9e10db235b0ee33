namespace FLOps.Abstractions.Projects;

/// <summary>Pending → Running → Completed | Failed | Cancelled. Names are part of the HTTP contract.</summary>
[GenerateSerializer, Alias("flops.ProjectState")]
public enum ProjectState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public static class ProjectStateExtensions
{
    public static bool IsTerminal(this ProjectState state) =>
        state is ProjectState.Completed or ProjectState.Failed or ProjectState.Cancelled;
}
