using System.Net;
using FLOps.Protocol;
using Microsoft.AspNetCore.Http;

namespace FLOps.Learner.Tests;

/// <summary>
/// The learner agent against a gateway that lies, breaks off, floods or repeats itself. Whatever it
/// answers, the agent keeps running, never uploads for a task it could not check, and paces itself
/// (its pauses are in virtual time: <see cref="PauseSkippingTimeProvider"/>, MinBackoff 1 s, MaxBackoff 8 s).
/// </summary>
public sealed class HostileGatewayTests
{
    private static readonly double[] GrowingPauses = [1, 2, 4, 8, 8];

    [Fact]
    public async Task A_task_whose_model_does_not_fit_the_data_is_declined_once_naming_the_numbers_and_its_model_never_fetched()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.ForMnist());
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 12, "12 polls");

        run.AssertStillRunning();
        var decline = Assert.Single(gateway.Declines);
        Assert.Equal("task-mnist", decline.TaskId);
        Assert.Equal("the model takes 784 features but the local data has 4", decline.Reason);
        Assert.Equal(0, gateway.ModelRequests);
        Assert.Empty(gateway.Uploads);
        Assert.Equal(1, run.Agent.TasksDeclined);
        await run.StopAsync();
    }

    [Fact]
    public async Task Polls_that_keep_bringing_a_task_it_cannot_take_slow_down_twice_as_long_each_time_up_to_MaxBackoff()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.ForMnist());
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 30, "30 polls");

        Assert.Equal([1, 2, 4, 8, 8, 8, 8], run.Clock.Pauses.Take(7).Select(pause => pause.TotalSeconds));

        // The agent that spun did 10,000 polls in 10 s; now 30 take over three (virtual) minutes.
        Assert.True(run.Clock.GetUtcNow() - run.Clock.Start >= TimeSpan.FromMinutes(3), $"30 polls in {run.Clock.GetUtcNow() - run.Clock.Start}");
        await run.StopAsync();
    }

    [Fact]
    public async Task A_stream_of_new_tasks_it_cannot_take_is_declined_one_by_one_with_growing_pauses()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, call) => FakeGateway.AnswerJson(context, SampleTasks.ForMnist($"task-{call}"));
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Declines.Count >= 6, "6 declines");

        Assert.Equal(["task-1", "task-2", "task-3", "task-4", "task-5", "task-6"], gateway.Declines.Take(6).Select(decline => decline.TaskId));
        Assert.Equal(GrowingPauses, run.Clock.Pauses.Take(5).Select(pause => pause.TotalSeconds));
        Assert.Equal(0, gateway.ModelRequests);
        await run.StopAsync();
    }

    [Theory]
    [InlineData("model", "null", "the task has no model")]
    [InlineData("batchSize", "-5", "batchSize must be between 1 and 100000 (got -5)")]
    [InlineData("parameterCount", "11", "the task says 11 parameters but a softmax 4→2 has 10")]
    [InlineData("learningRate", "0", "learningRate must be a finite positive number (got 0)")]
    public async Task A_malformed_task_is_declined_once_naming_its_fault_and_the_agent_keeps_polling(string field, string value, string reason)
    {
        await using var gateway = await FakeGateway.StartAsync();
        var task = SampleTasks.Json(SampleTasks.Fitting(), field, value).ToJsonString();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerRawJson(context, task);
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 6, "6 polls");

        run.AssertStillRunning();
        var decline = Assert.Single(gateway.Declines);
        Assert.Equal(reason, decline.Reason);
        Assert.Equal(0, gateway.ModelRequests);
        Assert.Empty(gateway.Uploads);
        await run.StopAsync();
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("wrong types")]
    [InlineData("JSON null")]
    [InlineData("a JSON array")]
    [InlineData("server error")]
    [InlineData("unexpected status")]
    [InlineData("redirect")]
    [InlineData("aborted connection")]
    [InlineData("endless JSON")]
    public async Task A_broken_answer_to_a_poll_is_logged_in_one_line_and_asked_again_after_a_growing_pause(string answer)
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => answer switch
        {
            "garbage" => FakeGateway.AnswerRawJson(context, "{this is not\n json"),
            "wrong types" => FakeGateway.AnswerRawJson(context, """{"taskId": 5, "round": "one", "model": [], "batchSize": {}}"""),
            "JSON null" => FakeGateway.AnswerRawJson(context, "null"),
            "a JSON array" => FakeGateway.AnswerRawJson(context, "[1, 2, 3]"),
            "server error" => FakeGateway.AnswerStatus(context, HttpStatusCode.InternalServerError),
            "unexpected status" => FakeGateway.AnswerStatus(context, (HttpStatusCode)418),
            "redirect" => Redirect(context, "http://192.0.2.1/steal-the-token"),
            "aborted connection" => FakeGateway.Abort(context),
            "endless JSON" => gateway.WriteEndlessJson(context),
            _ => throw new ArgumentOutOfRangeException(nameof(answer), answer, "no such answer"),
        };
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 6, "6 polls");

        run.AssertStillRunning();
        Assert.Equal(GrowingPauses, run.Clock.Pauses.Take(5).Select(pause => pause.TotalSeconds));
        Assert.Contains(run.Log, line => line.EndsWith("; retrying in 1 s", StringComparison.Ordinal));
        Assert.All(run.Log, line => Assert.DoesNotContain('\n', line));
        Assert.Equal(0, gateway.ModelRequests);
        Assert.Empty(gateway.Declines);
        Assert.Empty(gateway.Uploads);
        await run.StopAsync();
    }

    [Theory]
    [InlineData("half the model", "the model body ended after 20 of the 40 bytes of 10 parameters")]
    [InlineData("a length it does not have", "the model body announces 1099511627776 bytes but 10 parameters take 40")]
    [InlineData("a NaN", "the model holds a non-finite parameter at index 3")]
    public async Task A_model_body_that_is_not_the_announced_model_gets_its_task_declined_and_never_trained(string body, string reason)
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.Fitting());
        gateway.OnModel = (context, _) => body switch
        {
            "half the model" => FakeGateway.AnswerParameters(context, new float[TinyData.SoftmaxParameterCount / 2]),
            "a length it does not have" => AnnounceWithoutSending(context, 1L << 40),
            "a NaN" => FakeGateway.AnswerParameters(context, [0, 0, 0, float.NaN, 0, 0, 0, 0, 0, 0]),
            _ => throw new ArgumentOutOfRangeException(nameof(body), body, "no such body"),
        };
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 4, "4 polls");

        run.AssertStillRunning();
        Assert.Equal(reason, Assert.Single(gateway.Declines).Reason);
        Assert.Equal(1, gateway.ModelRequests);
        Assert.Empty(gateway.Uploads);
        await run.StopAsync();
    }

    [Fact]
    public async Task A_model_download_cut_by_a_dropped_connection_is_tried_again_and_nothing_is_uploaded()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.Fitting());
        gateway.OnModel = async (context, _) =>
        {
            context.Response.ContentLength = TinyData.SoftmaxParameterCount * sizeof(float);
            await context.Response.Body.WriteAsync(new byte[8]);
            await context.Response.Body.FlushAsync();
            context.Abort();
        };
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.ModelRequests >= 4, "4 model requests");

        run.AssertStillRunning();
        Assert.Empty(gateway.Declines);
        Assert.Empty(gateway.Uploads);
        Assert.Equal(GrowingPauses.Take(3), run.Clock.Pauses.Take(3).Select(pause => pause.TotalSeconds));
        await run.StopAsync();
    }

    [Fact]
    public async Task A_model_body_that_trickles_and_stalls_is_given_up_at_the_request_timeout()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.Fitting());
        gateway.OnModel = async (context, _) =>
        {
            await context.Response.Body.WriteAsync(new byte[1]);
            await context.Response.Body.FlushAsync();
            await FakeGateway.HoldUntilAborted(context);
        };
        await using var run = AgentRun.Start(gateway, configure: options => options with { RequestTimeout = TimeSpan.FromSeconds(1) });

        await gateway.WaitUntilAsync(g => g.ModelRequests >= 2, "a second model request");

        run.AssertStillRunning();
        Assert.Contains(run.Log, line => line == "the gateway did not answer in time; retrying in 1 s");
        Assert.Empty(gateway.Uploads);
        await run.StopAsync();
    }

    [Fact]
    public async Task A_decline_the_gateway_fails_to_take_is_not_sent_again()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, SampleTasks.ForMnist());
        gateway.OnDecline = (context, _) => FakeGateway.Abort(context);
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 6, "6 polls");

        run.AssertStillRunning();
        Assert.Single(gateway.Declines);
        Assert.Contains(run.Log, line => line.StartsWith("could not tell the gateway that task task-mnist is declined", StringComparison.Ordinal));
        await run.StopAsync();
    }

    [Fact]
    public async Task A_registration_answer_without_a_usable_token_is_retried_after_a_pause()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnRegister = (context, call) => call switch
        {
            1 => FakeGateway.AnswerRawJson(context, """{"id": "device-1", "token": null}"""),
            2 => FakeGateway.AnswerRawJson(context, """{"id": "device-1", "token": "evil\r\nX-Injected: 1"}"""),
            _ => FakeGateway.AnswerJson(context, new DeviceRegistration(FakeGateway.DeviceId, FakeGateway.Token)),
        };
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Polls >= 1, "a poll");

        Assert.Equal(3, gateway.Registrations);
        Assert.Equal([1, 2], run.Clock.Pauses.Take(2).Select(pause => pause.TotalSeconds));
        await run.StopAsync();
    }

    private static Task Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    private static async Task AnnounceWithoutSending(HttpContext context, long contentLength)
    {
        context.Response.ContentLength = contentLength;
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
        await FakeGateway.HoldUntilAborted(context);
    }
}
