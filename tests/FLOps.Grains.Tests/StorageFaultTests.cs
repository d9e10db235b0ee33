using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Tests;

/// <summary>
/// Storage that fails once, inside a grain, as PostgreSQL's pooled connections fail once after the
/// server restarted: the hang of issue 17, reproduced without a database.
/// </summary>
[Collection(FlopsClusterCollection.Name)]
public sealed class StorageFaultTests(FlopsClusterFixture fixture)
{
    private const int RoundTimeoutSeconds = 10;

    /// <summary>The project tick of the test silo (see <see cref="FlopsClusterFixture"/>).</summary>
    private static readonly TimeSpan ProjectTick = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Round 2 stores itself open, then its first read of the global model fails: on main its
    /// Start threw before the deadline was armed and the task handed out, and every later tick's
    /// Start found it open and did nothing, so the round stayed open past its deadline for ever
    /// and the project Running. The project must instead complete, each round recorded once,
    /// within its rounds' timeouts and two ticks.
    /// </summary>
    [Fact]
    public async Task A_round_that_stored_itself_open_and_then_failed_to_read_its_model_still_hands_out_its_task_and_the_project_completes()
    {
        var spec = Specs.Simulated(devices: 4, rounds: 3);
        spec = spec with { Training = spec.Training with { RoundTimeoutSeconds = RoundTimeoutSeconds } };
        var project = fixture.Grains.GetGrain<IProjectGrain>(Specs.NewId(FlopsClusterFixture.StoreBlipProjectPrefix));
        await project.Submit(spec, Specs.Tenant);

        var bound = (spec.Training.Rounds * TimeSpan.FromSeconds(RoundTimeoutSeconds)) + (2 * ProjectTick);
        var ended = await EndedWithin(project, bound);

        Assert.Equal(ProjectState.Completed, ended.State);
        Assert.Equal([1, 2, 3], ended.Rounds.Select(r => r.Round));
        Assert.Equal(ended.Rounds[0].Model, ended.Rounds[1].BaseModel);
    }

    private static async Task<ProjectSnapshot> EndedWithin(IProjectGrain project, TimeSpan bound)
    {
        var clock = global::System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var snapshot = await project.GetSnapshot();
            if (snapshot.State.IsTerminal())
            {
                return snapshot;
            }

            Assert.True(clock.Elapsed < bound, $"the project is still {snapshot.State} in round {snapshot.CurrentRound} with {snapshot.Rounds.Count} rounds recorded, {bound.TotalSeconds:F0} s on");
            await Task.Delay(100);
        }
    }
}
