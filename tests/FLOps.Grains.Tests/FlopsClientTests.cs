using FLOps.Abstractions.Projects;
using FLOps.Client;

namespace FLOps.Grains.Tests;

[Collection(FlopsClusterCollection.Name)]
public sealed class FlopsClientTests(FlopsClusterFixture fixture)
{
    private FlopsClient Client(string tenant = "client-tests") => new(fixture.Grains, tenant);

    [Fact]
    public async Task Watching_a_project_yields_each_round_in_order_and_ends_with_the_completed_project()
    {
        var client = Client();
        var submitted = await client.SubmitAsync(Specs.Simulated(devices: 3, rounds: 3));

        var seen = new List<ProjectSnapshot>();
        await foreach (var snapshot in client.WatchAsync(submitted.Id))
        {
            seen.Add(snapshot);
        }

        Assert.Equal(ProjectState.Completed, seen[^1].State);
        var roundCounts = seen.Select(s => s.Rounds.Count).ToList();
        Assert.Equal(roundCounts.Order(), roundCounts);
        Assert.Equal(3, roundCounts[^1]);
        Assert.NotEmpty(await client.DownloadModelAsync(submitted.Id));
    }

    [Fact]
    public async Task An_invalid_spec_throws_with_every_problem_and_leaves_no_project_behind()
    {
        var client = Client("client-invalid");

        var refused = await Assert.ThrowsAsync<InvalidProjectSpecException>(() => client.SubmitAsync(Specs.Simulated(devices: 3, rounds: 0)));

        Assert.Contains(refused.Errors, e => e.Field == "training.rounds");
        Assert.Empty(await client.ListAsync());
    }

    [Fact]
    public async Task Projects_of_another_tenant_are_invisible_and_idempotency_keys_return_the_same_project()
    {
        var owner = Client("tenant-x");
        var first = await owner.SubmitAsync(Specs.Simulated(devices: 2, rounds: 1), idempotencyKey: "once");
        var retried = await owner.SubmitAsync(Specs.Simulated(devices: 2, rounds: 1), idempotencyKey: "once");

        Assert.Equal(first.Id, retried.Id);
        Assert.Null(await Client("tenant-y").GetAsync(first.Id));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Client("tenant-y").CancelAsync(first.Id));
    }
}
