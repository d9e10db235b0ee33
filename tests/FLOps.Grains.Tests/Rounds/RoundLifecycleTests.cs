using FLOps.Grains.Rounds;

namespace FLOps.Grains.Tests.Rounds;

/// <summary>What a repeated start does to a round or a cycle, whichever state it is in.</summary>
public sealed class RoundLifecycleTests
{
    private sealed class Calls
    {
        public int Reports { get; private set; }

        public int Nudges { get; private set; }

        public Task<bool> Start(RoundStatus status) => RoundLifecycle.ShouldBegin(
            status,
            () =>
            {
                Reports++;
                return Task.CompletedTask;
            },
            () => Nudges++);
    }

    [Fact]
    public async Task A_round_not_started_begins()
    {
        var calls = new Calls();

        Assert.True(await calls.Start(RoundStatus.NotStarted));
        Assert.Equal((0, 0), (calls.Reports, calls.Nudges));
    }

    [Theory]
    [InlineData(RoundStatus.Closed)]
    [InlineData(RoundStatus.Failed)]
    public async Task A_round_that_ended_reports_its_outcome_again(RoundStatus status)
    {
        var calls = new Calls();

        Assert.False(await calls.Start(status));
        Assert.Equal((1, 0), (calls.Reports, calls.Nudges));
    }

    [Fact]
    public async Task An_open_round_is_nudged_and_an_aborted_one_does_nothing()
    {
        var calls = new Calls();

        Assert.False(await calls.Start(RoundStatus.Open));
        Assert.False(await calls.Start(RoundStatus.Aborted));
        Assert.Equal((0, 1), (calls.Reports, calls.Nudges));
    }
}
