using System.Globalization;
using System.Net;

namespace FLOps.Learner.Tests;

/// <summary>The learner agent against an honest gateway.</summary>
public sealed class LearnerAgentTests
{
    [Fact]
    public async Task A_well_formed_task_is_trained_and_its_update_uploaded_naming_task_model_samples_and_loss()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, call) => call == 1 ? FakeGateway.AnswerJson(context, SampleTasks.Fitting()) : FakeGateway.HoldUntilAborted(context);
        gateway.OnModel = (context, _) => context.Request.RouteValues["hash"] as string == SampleTasks.ModelHash
            ? FakeGateway.AnswerParameters(context, new float[TinyData.SoftmaxParameterCount])
            : FakeGateway.AnswerStatus(context, HttpStatusCode.NotFound);
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Uploads.Count == 1 && g.Polls == 2, "an upload, then the next poll");

        var upload = Assert.Single(gateway.Uploads);
        Assert.Equal("task-1", upload.Task);
        Assert.Equal(SampleTasks.ModelHash, upload.Model);
        Assert.Equal(TinyData.Samples.ToString(CultureInfo.InvariantCulture), upload.Samples);
        var loss = double.Parse(upload.Loss!, CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(loss) && loss > 0, $"loss {loss}");
        Assert.Equal(FakeGateway.Token, upload.Token);
        Assert.Equal(TinyData.SoftmaxParameterCount * sizeof(float), upload.BodyBytes);
        Assert.Equal(1, gateway.ModelRequests);
        Assert.Empty(gateway.Declines);
        Assert.Equal(1, run.Agent.RoundsTrained);
        await run.StopAsync();
    }

    [Fact]
    public async Task The_registration_describes_the_device_and_its_data()
    {
        await using var gateway = await FakeGateway.StartAsync();
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls == 1, "a poll after the registration");

        var registration = Assert.Single(gateway.RegistrationRequests);
        Assert.Equal("test-device", registration.Name);
        Assert.Equal(["tiny"], registration.DataTags ?? []);
        Assert.Equal("default", registration.Cluster);
        Assert.Equal(TinyData.Samples, registration.SampleCount);
        Assert.True(registration.Capabilities?.Cores > 0);
        await run.StopAsync();
    }

    [Fact]
    public async Task An_update_the_gateway_refuses_is_logged_with_its_reason_and_not_sent_again()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, call) => call == 1 ? FakeGateway.AnswerJson(context, SampleTasks.Fitting()) : FakeGateway.HoldUntilAborted(context);
        gateway.OnModel = (context, _) => FakeGateway.AnswerParameters(context, new float[TinyData.SoftmaxParameterCount]);
        gateway.OnUpload = (context, _) => FakeGateway.AnswerProblem(context, HttpStatusCode.Conflict, "the round is closed");
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Uploads.Count == 1 && g.Polls == 2, "an upload, then the next poll");

        Assert.Single(gateway.Uploads);
        Assert.Contains(run.Log, line => line.EndsWith("update refused (409): the round is closed", StringComparison.Ordinal));
        Assert.Empty(run.Clock.Pauses);
        await run.StopAsync();
    }

    [Fact]
    public async Task A_forgotten_device_registers_again()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, call) => call == 1 ? FakeGateway.AnswerStatus(context, HttpStatusCode.Unauthorized) : FakeGateway.HoldUntilAborted(context);
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Registrations == 2 && g.Polls == 2, "a second registration, then a poll");

        Assert.Contains(run.Log, line => line.StartsWith("the gateway no longer knows this device; registering again", StringComparison.Ordinal));
        run.AssertStillRunning();
        await run.StopAsync();
    }

    [Fact]
    public async Task A_refused_registration_stops_the_agent_with_the_gateways_reason()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnRegister = (context, _) => FakeGateway.AnswerProblem(context, HttpStatusCode.Unauthorized, "unknown API key");
        await using var run = AgentRun.Start(gateway);

        var refused = await Assert.ThrowsAsync<RegistrationRefusedException>(() => run.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("the gateway refused the registration (401): unknown API key", refused.Message);
    }
}
