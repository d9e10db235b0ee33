using System.Net;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests.Faults;

/// <summary>
/// Issue 17: a device's connection is cut after its upload reached the gateway and before the
/// answer came back, so the device cannot tell whether it counted, and sends it again. Exactly
/// one copy counts.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class CutUploadTests(FaultPostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task An_upload_whose_answer_is_cut_and_that_the_device_sends_again_is_accepted_exactly_once()
    {
        await using var cluster = new DurableCluster(postgres.ConnectionString);
        await cluster.StartSiloAsync();
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        await using var gateway = await FaultScenario.StartGateway(cluster, url);
        await using var proxy = new CuttingProxy(new Uri(url));
        using var answers = new AnswerLog();
        var tenant = answers.Client(proxy.Url, FaultScenario.ApiKey);
        var cut = await RemoteDevice.Register(answers, tenant, "mnist");
        var other = await RemoteDevice.Register(answers, tenant, "mnist");
        var projectId = await FaultScenario.SubmitOverHttp(tenant, rounds: 1, devices: 2, roundTimeoutSeconds: 60);
        try
        {
            var task = await TaskOf(cut);
            var parameters = RemoteDevice.Small(task.ParameterCount);
            proxy.CutNextAnswer();
            HttpResponseMessage? first = null;
            try
            {
                first = await cut.Upload(task, parameters);
            }
            catch (HttpRequestException e)
            {
                output.WriteLine($"the first upload's answer was cut: {e.Message}");
            }

            using var again = await cut.Upload(task, parameters);
            var refusal = again.StatusCode == HttpStatusCode.OK ? null : await RemoteDevice.Refusal(again);
            first?.Dispose();
            output.WriteLine($"answers: first {(first is null ? "none (cut)" : (int)first.StatusCode + " (the client sent it again by itself)")}, the device's own retry {(int)again.StatusCode} {refusal}");
            var journaledAfterRetry = await ProjectInvariants.JournalRows(cluster.ConnectionString, projectId, round: 1);

            using (var answer = await other.Upload(await TaskOf(other)))
            {
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            var ended = await FaultScenario.WaitForEnd(cluster, projectId, FaultScenario.EndBound(FaultScenario.Spec(rounds: 1, roundTimeoutSeconds: 60), roundsLeft: 0));

            Assert.Equal(1, proxy.AnswersCut);
            Assert.True(
                again.StatusCode == HttpStatusCode.OK || (again.StatusCode == HttpStatusCode.Conflict && refusal is "duplicate" or "wrongTask"),
                $"the retried upload was answered {(int)again.StatusCode} {refusal}: {await again.Content.ReadAsStringAsync()}");
            Assert.Equal([cut.Id], journaledAfterRetry.Select(r => r.DeviceId));
            Assert.Equal(ProjectState.Completed, ended.State);
            Assert.Equal(new[] { cut.Id, other.Id }.Order(StringComparer.Ordinal), await ProjectInvariants.Aggregated(cluster.Grains, IRoundGrain.KeyFor(ended.Id, 1)));
            await ProjectInvariants.AssertHold(cluster.ConnectionString, cluster.Grains, ended);
            answers.AssertNoServerError();
        }
        finally
        {
            FaultScenario.KeepLogs(output, projectId, cluster.Silos, [gateway]);
        }
    }

    /// <summary>The device's task, polled for until the round hands it out (long polls of 10 s, bounded).</summary>
    private static async Task<Protocol.DeviceTaskView> TaskOf(RemoteDevice device)
    {
        for (var poll = 0; poll < 6; poll++)
        {
            if (await device.NextTask(waitSeconds: 10) is { } task)
            {
                return task;
            }
        }

        throw new TimeoutException($"device {device.Id} was given no task within a minute");
    }
}
