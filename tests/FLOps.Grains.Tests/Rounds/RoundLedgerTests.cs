using FLOps.Abstractions.Projects;
using FLOps.Grains.Rounds;

namespace FLOps.Grains.Tests.Rounds;

/// <summary>Who a round selected and who reported, without a silo.</summary>
public sealed class RoundLedgerTests
{
    private static RoundGrainState Selected(params string[] devices) => new() { Status = RoundStatus.Open, Participants = [.. devices] };

    [Fact]
    public void A_participant_has_reported_once_accepted_failed_or_rejected_and_the_round_is_complete_when_all_have()
    {
        var state = Selected("a", "b", "c", "d");
        var ledger = new RoundLedger(state);

        ledger.Accept("c", sampleCount: 10, trainingLoss: 0.5, parameterCount: 3);
        ledger.Fail("a", "crashed");
        Assert.False(ledger.EveryoneReported);
        Assert.Equal(["b", "d"], ledger.Missing());

        ledger.Reject("d", "NaN");
        ledger.Accept("b", sampleCount: 30, trainingLoss: 1.5, parameterCount: 3);

        Assert.True(ledger.EveryoneReported);
        Assert.Equal((2, 4, 4), (ledger.Accepted, ledger.Reported, ledger.Selected));
        Assert.True(ledger.HasAccepted("b"));
        Assert.False(ledger.HasAccepted("a"));
        Assert.True(ledger.HasReported("a"));
        Assert.False(ledger.IsParticipant("z"));
        Assert.Equal([new DeviceFailure("a", "crashed")], state.Failures);
        Assert.Equal([new DeviceFailure("d", "NaN")], state.Rejections);
    }

    [Fact]
    public void Accepted_updates_are_summed_by_samples_bytes_and_sample_weighted_loss_and_listed_in_ordinal_order()
    {
        var ledger = new RoundLedger(Selected("b", "a", "B"));
        ledger.Accept("b", sampleCount: 10, trainingLoss: 1.0, parameterCount: 5);
        ledger.Accept("a", sampleCount: 30, trainingLoss: 3.0, parameterCount: 5);
        ledger.Accept("B", sampleCount: 60, trainingLoss: 2.0, parameterCount: 5);

        Assert.Equal(["B", "a", "b"], ledger.AcceptedIds());
        Assert.Equal(100, ledger.AcceptedSamples);
        Assert.Equal(3 * 5 * sizeof(float), ledger.AcceptedBytes);
        Assert.Equal((0.1 * 1.0) + (0.3 * 3.0) + (0.6 * 2.0), ledger.TrainingLoss, 12);
    }

    [Fact]
    public void At_the_deadline_every_participant_that_has_not_reported_is_left_out_with_the_reason()
    {
        var state = Selected("a", "b", "c");
        var ledger = new RoundLedger(state);
        ledger.Accept("b", 1, 0, 1);

        Assert.Equal(2, ledger.FailMissing("no update within the 9 s round timeout"));

        Assert.True(ledger.EveryoneReported);
        Assert.Equal(["a", "c"], state.Failures.Select(f => f.DeviceId));
    }

    [Fact]
    public void A_ledger_rebuilt_from_stored_state_knows_who_was_left_out()
    {
        var state = Selected("a", "b", "c");
        state.Failures.Add(new DeviceFailure("a", "crashed"));
        state.Rejections.Add(new DeviceFailure("c", "NaN"));

        var resumed = new RoundLedger(state);

        Assert.True(resumed.HasReported("a"));
        Assert.True(resumed.HasReported("c"));
        Assert.Equal(["b"], resumed.Missing());
    }

    [Fact]
    public void Refusals_are_all_counted_and_the_first_reasons_kept()
    {
        var state = Selected("a");
        var ledger = new RoundLedger(state);

        for (var i = 0; i < RoundLedger.MaxRecordedRefusals + 5; i++)
        {
            ledger.Refuse($"d{i}", "not selected", afterClose: i % 2 == 0);
        }

        Assert.Equal(RoundLedger.MaxRecordedRefusals + 5, state.Refused);
        Assert.Equal(13, state.RefusedAfterClose);
        Assert.Equal(RoundLedger.MaxRecordedRefusals, state.RefusalReasons.Count);
        Assert.Equal("d0: not selected", state.RefusalReasons[0]);
    }

    [Fact]
    public void A_round_without_its_quorum_says_how_many_it_had_and_names_the_first_devices_left_out()
    {
        var state = Selected([.. Enumerable.Range(0, 10).Select(i => $"d{i}")]);
        var ledger = new RoundLedger(state);
        ledger.Accept("d9", 1, 0, 1);
        ledger.FailMissing("timed out");

        var reason = ledger.QuorumFailure(minFitClients: 3);

        Assert.StartsWith("only 1 of 10 selected devices sent a usable update (minFitClients=3); left out: d0: timed out;", reason, StringComparison.Ordinal);
        Assert.Contains("d4: timed out", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("d5", reason, StringComparison.Ordinal);
    }
}
