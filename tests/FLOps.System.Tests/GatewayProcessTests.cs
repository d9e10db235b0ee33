using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.System.Tests.Infrastructure;

namespace FLOps.System.Tests;

[Collection(PostgresCollection.Name)]
public sealed class GatewayProcessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_gateway_alone_serves_a_durable_cluster_as_an_orleans_client()
    {
        await using var cluster = new DurableCluster(postgres);
        await cluster.StartSiloAsync();
        var url = $"http://127.0.0.1:{CommandProcess.FreePort()}";
        await using var gateway = await CommandProcess.StartAsync(
            ["gateway", "--postgres", postgres.ConnectionString, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId, "--urls", url],
            "flops gateway: listening",
            environment: new Dictionary<string, string> { ["FLOPS_API_KEYS"] = "gw-key" });
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "gw-key");

        var created = await http.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "via-gateway",
            training = new { rounds = 2, batchSize = 16, learningRate = 0.5 },
            simulation = new { devices = 4 },
        });

        created.EnsureSuccessStatusCode();
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var ended = await cluster.WaitFor(id, p => p.State == Abstractions.Projects.ProjectState.Completed, TimeSpan.FromMinutes(2));
        Assert.Equal(2, ended.Rounds.Count);
        Assert.True((await http.GetByteArrayAsync($"/api/v1/projects/{id}/model")).Length > 0);
    }
}
