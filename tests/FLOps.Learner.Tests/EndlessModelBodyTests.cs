using FLOps.Protocol;
using Xunit.Abstractions;

namespace FLOps.Learner.Tests;

/// <summary>Alone in its collection: it measures the test process's allocations, which parallel tests would blur.</summary>
[CollectionDefinition(nameof(EndlessModelBodyTests), DisableParallelization = true)]
[Collection(nameof(EndlessModelBodyTests))]
public sealed class EndlessModelBodyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_endless_model_body_is_cut_off_at_the_model_size_and_its_task_declined()
    {
        // An mlp 4→10000→2: 70,002 parameters, 280,008 bytes.
        const int hidden = 10_000;
        const int parameterCount = (hidden * TinyData.Features) + hidden + (TinyData.Classes * hidden) + TinyData.Classes;
        const long modelBytes = parameterCount * sizeof(float);
        var task = SampleTasks.Fitting() with { Model = new TaskModelView("mlp", TinyData.Features, TinyData.Classes, hidden), ParameterCount = parameterCount };
        await using var gateway = await FakeGateway.StartAsync();
        gateway.OnNextTask = (context, _) => FakeGateway.AnswerJson(context, task);
        gateway.OnModel = (context, _) => gateway.WriteEndlessBody(context);
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        await using var run = AgentRun.Start(gateway);

        await gateway.WaitUntilAsync(g => g.Declines.Count == 1 && g.EndlessBodiesEnded == 1 && g.Polls >= 4, "a decline, the endless body hung up on, and more polls");

        run.AssertStillRunning();
        Assert.Equal($"the model body goes on past the {modelBytes} bytes of {parameterCount} parameters", Assert.Single(gateway.Declines).Reason);
        Assert.Equal(1, gateway.ModelRequests);
        Assert.Empty(gateway.Uploads);

        output.WriteLine($"model {modelBytes} bytes; the agent read {run.ModelBytesRead} bytes of the endless body; {GC.GetTotalAllocatedBytes() - allocatedBefore} bytes allocated in the test process meanwhile");

        // The agent reads the model's size and one byte more, to know that the body goes on.
        Assert.Equal(modelBytes + 1, run.ModelBytesRead);

        // Process-wide, other tests included; without a bound, it would run into gigabytes.
        Assert.True(GC.GetTotalAllocatedBytes() - allocatedBefore < 256 * modelBytes, $"{GC.GetTotalAllocatedBytes() - allocatedBefore} bytes allocated");
        await run.StopAsync();
    }
}
