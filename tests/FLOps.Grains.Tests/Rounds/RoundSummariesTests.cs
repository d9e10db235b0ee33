using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Projects;
using FLOps.Grains.Rounds;
using FLOps.Learning.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit.Abstractions;

namespace FLOps.Grains.Tests.Rounds;

/// <summary>The summary a round hands its parent holds counts, not device lists, so a project's history does not grow with its devices.</summary>
public sealed class RoundSummariesTests(ITestOutputHelper output)
{
    /// <summary>A closed round of <paramref name="devices"/> devices, as the round grain leaves its ledger: a tenth of them timed out, 30 rejected, 25 refused.</summary>
    private static (RoundGrainState State, RoundLedger Ledger) ClosedRound(int round, int devices)
    {
        var state = new RoundGrainState { Status = RoundStatus.Open, Participants = [.. Enumerable.Range(0, devices).Select(i => $"project-0123456789/sim-{i:D7}")] };
        var ledger = new RoundLedger(state);
        foreach (var (id, i) in state.Participants.Select((id, i) => (id, i)))
        {
            if (i % 10 == 3)
            {
                continue;
            }

            if (i < 30)
            {
                ledger.Reject(id, "update norm ‖update − global‖ = 12.5 exceeds maxUpdateNorm 5");
            }
            else
            {
                ledger.Accept(id, sampleCount: 60, trainingLoss: 0.3, parameterCount: 7_850);
            }
        }

        for (var i = 0; i < 25; i++)
        {
            ledger.Refuse($"project-0123456789/sim-{i:D7}", $"the update is for task 'project-0123456789/{round - 1}' (round {round - 1}), not 'project-0123456789/{round}' (round {round})", afterClose: false);
        }

        ledger.FailMissing("no update within the 120 s round timeout");
        state.Status = RoundStatus.Closed;
        return (state, ledger);
    }

    private static RoundSummary Summarize(int round, int devices)
    {
        var (state, ledger) = ClosedRound(round, devices);
        var plan = new RoundPlan { ProjectId = "project-0123456789", Round = round, GlobalModel = new ModelRef(new string('a', 64), 7_850) };
        var strategyState = new StrategyStateRef { Vectors = new Dictionary<string, ModelRef> { ["momentum"] = new(new string('m', 64), 7_850) } };
        return RoundSummaries.Closed(plan, state, ledger, new ModelRef(new string('b', 64), 7_850), strategyState, new EvaluationResult(0.91, 0.3, 10_000), seconds: 1.5);
    }

    [Fact]
    public void A_summary_counts_the_devices_and_lists_only_the_first_of_those_left_out()
    {
        var summary = Summarize(round: 4, devices: 1_000);

        Assert.Equal((1_000, 900 - 27), (summary.Selected, summary.Participants));
        Assert.Empty(summary.ParticipantIds);
        Assert.Equal(RoundSummary.MaxListedDevices, summary.Failures.Count);
        Assert.Equal(100, summary.FailureCount);
        Assert.Equal(RoundSummary.MaxListedDevices, summary.Rejections.Count);
        Assert.Equal(27, summary.RejectionCount);
        Assert.Equal("project-0123456789/sim-0000003", summary.Failures[0].DeviceId);
        Assert.Equal(25, summary.RefusedUpdates);
        Assert.Equal(RoundLedger.MaxRecordedRefusals, summary.RefusalReasons.Count);
        Assert.Equal(873L * 60, summary.SampleCount);
    }

    [Fact]
    public void A_summary_stored_before_the_counts_counts_every_device_it_lists()
    {
        var old = new RoundSummary { Failures = [new("a", "x"), new("b", "y")], Rejections = [new("c", "z")] };

        Assert.Equal((2, 1), (old.FailureCount, old.RejectionCount));
    }

    [Fact]
    public void A_project_after_100_rounds_of_10000_devices_stores_under_a_megabyte()
    {
        var serializer = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(ProjectGrainState).Assembly).AddAssembly(typeof(RoundSummary).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        // Each round built on its own: shared lists would be written once and referenced after.
        var project = new ProjectGrainState { State = ProjectState.Completed, CurrentRound = 100 };
        for (var round = 1; round <= 100; round++)
        {
            project.Rounds.Add(Summarize(round, devices: 10_000));
        }

        var bytes = serializer.SerializeToArray(project).Length;

        // What one round of the same devices stored before: every aggregated id and every device left out.
        var (state, ledger) = ClosedRound(1, 10_000);
        var before = project.Rounds[0] with { ParticipantIds = ledger.AcceptedIds(), Failures = [.. state.Failures], Rejections = [.. state.Rejections] };
        var perRoundBefore = serializer.SerializeToArray(before).Length;
        output.WriteLine($"project state after 100 rounds of 10,000 devices: {bytes:N0} bytes ({bytes / 100:N0} per round; before: {perRoundBefore:N0} per round, {perRoundBefore * 100L:N0} for 100)");
        Assert.InRange(bytes, 1, 1_000_000);
    }
}
