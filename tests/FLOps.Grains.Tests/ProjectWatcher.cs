using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Tests;

/// <summary>Waits for a project to end by observing it, the way the CLI and the gateway do.</summary>
public sealed class ProjectWatcher : IProjectObserver
{
    private readonly TaskCompletionSource<ProjectSnapshot> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnProgress(ProjectSnapshot snapshot)
    {
        if (snapshot.State.IsTerminal())
        {
            _ended.TrySetResult(snapshot);
        }
    }

    public static async Task<ProjectSnapshot> RunToEnd(IGrainFactory grains, string projectId, ProjectSpec spec, TimeSpan? limit = null)
    {
        var project = grains.GetGrain<IProjectGrain>(projectId);
        var watcher = new ProjectWatcher();
        var reference = grains.CreateObjectReference<IProjectObserver>(watcher);
        await project.Subscribe(reference);
        var submitted = await project.Submit(spec, Specs.Tenant);
        if (submitted.State.IsTerminal())
        {
            return submitted;
        }

        var ended = await watcher._ended.Task.WaitAsync(limit ?? TimeSpan.FromMinutes(2));
        GC.KeepAlive(watcher);
        return ended;
    }

    /// <summary>For tests that lose the project's activation, and with it its observers.</summary>
    public static async Task<ProjectSnapshot> PollToEnd(IProjectGrain project, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var snapshot = await project.GetSnapshot();
            if (snapshot.State.IsTerminal())
            {
                return snapshot;
            }

            await Task.Delay(100, timeout.Token);
        }
    }
}
