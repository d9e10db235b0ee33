using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FLOps.Gateway.Tests;

/// <summary>The gateway exactly as <c>flops serve</c> wires it, on an in-memory test server with an embedded silo.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string KeyA = "key-of-tenant-a";
    public const string KeyB = "key-of-tenant-b";

    /// <summary>The tenant of the property-based fuzz tests, so that the thousands of projects they submit stay out of the others' lists.</summary>
    public const string KeyFuzz = "key-of-the-fuzzing-tenant";

    /// <summary>A tenant of its own for the uploaded-model tests, whose MNIST devices no other test registers.</summary>
    public const string KeyOnnx = "key-of-the-onnx-tenant";
    public const string MetricsKey = "key-of-the-operator-for-metrics";

    /// <summary>A tenant of its own for the OpenAPI document's examples, sent as they are (one registers a device).</summary>
    public const string KeyExamples = "key-of-the-examples-tenant";

    /// <summary>The port of the operator's metrics listener, as <c>flops serve --metrics-port</c> passes it.</summary>
    public const int MetricsPort = 9465;

    private WebApplication? _app;

    public HttpClient Anonymous { get; private set; } = null!;

    public HttpClient TenantA { get; private set; } = null!;

    public HttpClient TenantB { get; private set; } = null!;

    /// <summary>The operator, with a key of <c>FLOPS_METRICS_KEYS</c>, on the API's port.</summary>
    public HttpClient Operator { get; private set; } = null!;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Grain calls that reached the co-hosted silo, for what a request costs behind the API.</summary>
    public GrainCallLog Calls { get; } = new();

    /// <summary>The co-hosted silo's grains, for what HTTP does not show (activations, directories).</summary>
    public IGrainFactory Grains => _app!.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo.UseFlopsEmbedded(EmbeddedSilo.FreeTcpPort(), EmbeddedSilo.FreeTcpPort()));
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(Calls);
        var keys = ApiKeys.Parse($"a:{KeyA},b:{KeyB},fuzz:{KeyFuzz},onnx:{KeyOnnx},examples:{KeyExamples}");
        builder.AddFlopsGateway(keys);
        builder.AddFlopsMetrics();
        _app = builder.Build();
        _app.MapFlopsGateway();
        _app.MapFlopsMetrics(MetricsKeys.Parse(MetricsKey, keys), MetricsPort);
        await _app.StartAsync();
        Anonymous = _app.GetTestClient();
        TenantA = Client(KeyA);
        TenantB = Client(KeyB);
        Operator = Client(MetricsKey);
    }

    /// <summary>A GET without a key over a connection to <see cref="MetricsPort"/>, the operator's metrics listener.</summary>
    public Task<HttpContext> GetOnTheMetricsPort(string path) =>
        _app!.GetTestServer().SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Get;
            context.Request.Path = path;
            context.Connection.LocalPort = MetricsPort;
        });

    public HttpClient Client(string key)
    {
        var client = _app!.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>
    /// /metrics once it shows what the test waits for, or after 2 s: the exporter answers from a
    /// cache for 300 ms, so a scrape just after an earlier test's may show the state before.
    /// </summary>
    public async Task<string> ScrapeMetricsUntil(Func<string, bool> shows)
    {
        var metrics = await Operator.GetStringAsync("/metrics");
        for (var i = 0; i < 20 && !shows(metrics); i++)
        {
            await Task.Delay(100);
            metrics = await Operator.GetStringAsync("/metrics");
        }

        return metrics;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public static object Spec(int rounds = 2, int devices = 3, double latencySeconds = 0) => new
    {
        name = "gateway-test",
        dataTag = "mnist",
        model = new { kind = "softmax" },
        training = new { mode = "classic", rounds, cycles = 1, localEpochs = 1, batchSize = 16, learningRate = 0.5, minFitClients = 2, minAvailableClients = 2, fractionFit = 1.0, roundTimeoutSeconds = 60 },
        strategy = new { name = "fedavg" },
        simulation = new { devices, partition = "iid", seed = 1, latencySeconds },
    };

    public static async Task<JsonElement> Body(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public async Task<JsonElement> WaitForState(HttpClient client, string id, params string[] states)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var project = await client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{id}", limit.Token);
            if (states.Contains(project.GetProperty("state").GetString()))
            {
                return project;
            }

            await Task.Delay(100, limit.Token);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "Gateway";
}
