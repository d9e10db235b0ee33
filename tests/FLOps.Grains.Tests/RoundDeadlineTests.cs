using FLOps.Grains.Rounds;
using Microsoft.Extensions.Time.Testing;

namespace FLOps.Grains.Tests;

/// <summary>The round's deadline and quorum rule on a fake clock.</summary>
public sealed class RoundDeadlineTests
{
    private static readonly DateTimeOffset Opened = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Before_the_deadline_a_round_with_missing_participants_stays_open_even_with_its_quorum()
    {
        var clock = new FakeTimeProvider(Opened);
        var deadline = Opened.AddSeconds(30);
        clock.Advance(TimeSpan.FromSeconds(29.9));

        Assert.Equal(RoundDecision.Open, RoundDeadline.Decide(clock, deadline, accepted: 3, reported: 3, participants: 5, minFitClients: 2));
    }

    [Fact]
    public void At_the_deadline_a_round_with_its_quorum_closes_on_time()
    {
        var clock = new FakeTimeProvider(Opened);
        var deadline = Opened.AddSeconds(30);
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(RoundDecision.CloseWithQuorum, RoundDeadline.Decide(clock, deadline, accepted: 2, reported: 2, participants: 5, minFitClients: 2));
    }

    [Fact]
    public void At_the_deadline_a_round_without_its_quorum_fails()
    {
        var clock = new FakeTimeProvider(Opened);
        var deadline = Opened.AddSeconds(30);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(RoundDecision.Fail, RoundDeadline.Decide(clock, deadline, accepted: 1, reported: 3, participants: 5, minFitClients: 2));
    }

    [Fact]
    public void Once_everyone_reported_the_round_ends_before_its_deadline()
    {
        var clock = new FakeTimeProvider(Opened);
        var deadline = Opened.AddSeconds(30);

        Assert.Equal(RoundDecision.CloseWithQuorum, RoundDeadline.Decide(clock, deadline, accepted: 4, reported: 5, participants: 5, minFitClients: 2));
        Assert.Equal(RoundDecision.Fail, RoundDeadline.Decide(clock, deadline, accepted: 1, reported: 5, participants: 5, minFitClients: 2));
    }
}
