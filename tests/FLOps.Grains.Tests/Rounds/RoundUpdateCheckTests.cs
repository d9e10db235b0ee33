using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Grains.Rounds;
using FLOps.Learning.Validation;
using Orleans.Concurrency;

namespace FLOps.Grains.Tests.Rounds;

/// <summary>What a round makes of an update, kind by kind, without a silo.</summary>
public sealed class RoundUpdateCheckTests
{
    private const string Key = "p/3";
    private static readonly ModelRef Global = new("global-hash", 2);
    private static readonly float[] GlobalParameters = [0, 0];

    private static (RoundGrainState State, RoundLedger Ledger) OpenRound(ValidationSpec? validation = null)
    {
        var state = new RoundGrainState
        {
            Status = RoundStatus.Open,
            Plan = new RoundPlan { ProjectId = "p", Round = 3, GlobalModel = Global, Spec = new ProjectSpec { Validation = validation } },
            Participants = ["a", "b", "c"],
        };
        return (state, new RoundLedger(state));
    }

    private static DeviceUpdate Update(string device, float[]? parameters = null, long samples = 5) => new()
    {
        DeviceId = device,
        Round = 3,
        TaskId = Key,
        BaseModelHash = Global.Hash,
        Parameters = new Immutable<float[]>(parameters ?? [1, 2]),
        SampleCount = samples,
    };

    private static UpdateVerdict Check(RoundGrainState state, RoundLedger ledger, DeviceUpdate update) =>
        RoundUpdateCheck.Check(state, Key, ledger, update, GlobalParameters);

    [Fact]
    public void A_participants_valid_update_for_this_task_and_model_is_taken()
    {
        var (state, ledger) = OpenRound();

        Assert.Equal(UpdateVerdict.Take, Check(state, ledger, Update("a")));
    }

    [Fact]
    public void An_update_to_a_round_that_is_not_open_is_late()
    {
        var (state, ledger) = OpenRound();
        state.Status = RoundStatus.Closed;

        var verdict = Check(state, ledger, Update("a"));

        Assert.Equal(UpdateRefusal.Late, verdict.Refusal);
        Assert.Equal("round 3 is closed (Closed)", verdict.Reason);
    }

    [Fact]
    public void Another_tasks_update_an_older_models_update_and_a_strangers_update_are_refused_by_kind()
    {
        var (state, ledger) = OpenRound();

        Assert.Equal(UpdateRefusal.WrongTask, Check(state, ledger, Update("a") with { TaskId = "p/2" }).Refusal);
        Assert.Equal(UpdateRefusal.WrongTask, Check(state, ledger, Update("a") with { Round = 2 }).Refusal);
        Assert.Equal(UpdateRefusal.Stale, Check(state, ledger, Update("a") with { BaseModelHash = "older" }).Refusal);
        Assert.Equal(UpdateRefusal.NotSelected, Check(state, ledger, Update("z")).Refusal);
    }

    [Fact]
    public void A_second_update_from_a_device_that_reported_is_a_duplicate()
    {
        var (state, ledger) = OpenRound();
        ledger.Accept("a", 5, 0, 2);
        ledger.Fail("b", "crashed");

        Assert.Equal(RoundUpdateCheck.Duplicate("a", 3), Check(state, ledger, Update("a")));
        var leftOut = Check(state, ledger, Update("b"));
        Assert.Equal(UpdateRefusal.Duplicate, leftOut.Refusal);
        Assert.Contains("already left out", leftOut.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_participants_update_that_fails_validation_is_malformed_with_the_problem()
    {
        var (state, ledger) = OpenRound(new ValidationSpec { MaxUpdateNorm = 1, MaxSampleCount = 100 });

        Assert.Equal(UpdateProblem.NotFinite, Check(state, ledger, Update("a", [float.NaN, 0])).Problem);
        Assert.Equal(UpdateProblem.Shape, Check(state, ledger, Update("a", [1])).Problem);
        Assert.Equal(UpdateProblem.SampleCount, Check(state, ledger, Update("a", [0, 0], samples: 101)).Problem);
        var far = Check(state, ledger, Update("a", [3, 4]));
        Assert.Equal((UpdateRefusal.Malformed, UpdateProblem.NormBound), (far.Refusal, far.Problem));
    }
}
