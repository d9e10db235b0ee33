using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FLOps.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ServiceApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Health_and_readiness_answer_without_a_key()
    {
        Assert.Equal(HttpStatusCode.OK, (await gateway.Anonymous.GetAsync("/healthz")).StatusCode);
        var ready = await gateway.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(1, (await GatewayFixture.Body(ready)).GetProperty("silos").GetInt32());
    }

    [Fact]
    public async Task The_openapi_document_lists_every_endpoint()
    {
        var document = await GatewayFixture.Body(await gateway.Anonymous.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();

        Assert.Superset(
            new HashSet<string>
            {
                "/api/v1/projects", "/api/v1/projects/{id}", "/api/v1/projects/{id}/cancel", "/api/v1/projects/{id}/model",
                "/api/v1/projects/{id}/predict", "/api/v1/projects/{id}/events", "/api/v1/devices", "/healthz", "/readyz",
            },
            paths);
    }

    [Fact]
    public async Task The_openapi_document_gives_the_learner_routes_their_bodies_and_the_device_token_header()
    {
        var paths = (await GatewayFixture.Body(await gateway.Anonymous.GetAsync("/openapi/v1.json"))).GetProperty("paths");
        static JsonElement Operation(JsonElement paths, string path, string method) => paths.GetProperty(path).GetProperty(method);
        static string BodySchema(JsonElement operation, string contentType) =>
            operation.GetProperty("requestBody").GetProperty("content").GetProperty(contentType).GetProperty("schema").GetProperty("$ref").GetString()!;

        Assert.Equal("#/components/schemas/DeviceRegistrationRequest", BodySchema(Operation(paths, "/api/v1/devices", "post"), "application/json"));
        Assert.Equal("#/components/schemas/TaskDecline", BodySchema(Operation(paths, "/api/v1/devices/{id}/tasks/decline", "post"), "application/json"));
        Assert.Equal("#/components/schemas/Stream", BodySchema(Operation(paths, "/api/v1/devices/{id}/updates", "post"), "application/octet-stream"));
        Assert.True(Operation(paths, "/api/v1/devices/{id}/models/{hash}", "get").GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/octet-stream", out _));
        foreach (var (path, method) in new[] { ("/api/v1/devices/{id}/tasks/next", "get"), ("/api/v1/devices/{id}/tasks/decline", "post"), ("/api/v1/devices/{id}/models/{hash}", "get"), ("/api/v1/devices/{id}/updates", "post") })
        {
            Assert.Equal(["deviceToken"], SchemesOf(Operation(paths, path, method)));
        }
    }

    [Fact]
    public async Task The_openapi_document_names_the_api_key_and_the_device_token_as_security_schemes_and_each_operation_the_one_it_takes()
    {
        var document = await GatewayFixture.Body(await gateway.Anonymous.GetAsync("/openapi/v1.json"));
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");

        Assert.Equal(("http", "bearer"), (schemes.GetProperty("apiKey").GetProperty("type").GetString(), schemes.GetProperty("apiKey").GetProperty("scheme").GetString()));
        Assert.Equal(("apiKey", "header", "X-Device-Token"), (schemes.GetProperty("deviceToken").GetProperty("type").GetString(), schemes.GetProperty("deviceToken").GetProperty("in").GetString(), schemes.GetProperty("deviceToken").GetProperty("name").GetString()));
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                string[] expected = path.Name.StartsWith("/api/v1/devices/{id}/", StringComparison.Ordinal) ? ["deviceToken"] : path.Name.StartsWith("/api/v1/", StringComparison.Ordinal) ? ["apiKey"] : [];
                Assert.True(expected.SequenceEqual(SchemesOf(operation.Value)), $"{operation.Name.ToUpperInvariant()} {path.Name}: [{string.Join(", ", SchemesOf(operation.Value))}], expected [{string.Join(", ", expected)}]");
            }
        }
    }

    private static string[] SchemesOf(JsonElement operation) =>
        operation.TryGetProperty("security", out var security) ? [.. security.EnumerateArray().SelectMany(requirement => requirement.EnumerateObject().Select(s => s.Name))] : [];

    [Fact]
    public async Task Every_operation_that_takes_a_json_body_documents_its_schema_and_an_example_the_gateway_accepts_as_it_is()
    {
        var paths = (await GatewayFixture.Body(await gateway.Anonymous.GetAsync("/openapi/v1.json"))).GetProperty("paths");
        var examples = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (!operation.Value.TryGetProperty("requestBody", out var body) || !body.GetProperty("content").TryGetProperty("application/json", out var json))
                {
                    Assert.False(operation.Name == "post" && !path.Name.EndsWith("/cancel", StringComparison.Ordinal) && !operation.Value.TryGetProperty("requestBody", out _), $"POST {path.Name} documents no request body");
                    continue;
                }

                Assert.StartsWith("#/components/schemas/", json.GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
                Assert.True(json.TryGetProperty("example", out var example), $"{operation.Name.ToUpperInvariant()} {path.Name} has no example");
                examples[$"{operation.Name} {path.Name}"] = example;
            }
        }

        Assert.Superset(new HashSet<string> { "post /api/v1/projects", "post /api/v1/projects/{id}/predict", "post /api/v1/devices", "post /api/v1/devices/{id}/tasks/decline" }, examples.Keys.ToHashSet());

        // Sent as written, by a tenant of their own: the project trains, the device registers, and the model scores the example sample.
        var client = gateway.Client(GatewayFixture.KeyExamples);
        var created = await client.PostAsync("/api/v1/projects", JsonContent(examples["post /api/v1/projects"]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        var registered = await client.PostAsync("/api/v1/devices", JsonContent(examples["post /api/v1/devices"]));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        await gateway.WaitForState(client, id, "Completed");
        var scored = await client.PostAsync($"/api/v1/projects/{id}/predict", JsonContent(examples["post /api/v1/projects/{id}/predict"]));
        Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
    }

    private static StringContent JsonContent(JsonElement body) => new(body.GetRawText(), global::System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Metrics_of_the_learning_are_exposed_for_prometheus()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        await gateway.WaitForState(gateway.TenantA, id, "Completed");

        var metrics = await gateway.ScrapeMetricsUntil(m => m.Contains($"project=\"{id}\"", StringComparison.Ordinal));

        Assert.Contains("flops_rounds_completed", metrics, StringComparison.Ordinal);
        Assert.Contains($"project=\"{id}\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_on_the_api_port_are_401_problem_details_without_a_metrics_key_even_for_a_tenant()
    {
        var anonymous = await gateway.Anonymous.GetAsync("/metrics");
        var tenant = await gateway.TenantA.GetAsync("/metrics");
        var wrong = await gateway.Client("not-a-key").GetAsync("/metrics");

        foreach (var response in new[] { anonymous, tenant, wrong })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            var detail = (await GatewayFixture.Body(response)).GetProperty("detail").GetString();
            Assert.Contains("FLOPS_METRICS_KEYS", detail, StringComparison.Ordinal);
            Assert.Contains("--metrics-port", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_on_the_api_port_answer_a_metrics_key_with_the_flops_series()
    {
        var response = await gateway.Operator.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("flops_projects{", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_on_the_metrics_port_answer_without_a_key()
    {
        var context = await gateway.GetOnTheMetricsPort("/metrics");

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Contains("flops_projects{", await new StreamReader(context.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }

    /// <summary>The names and labels dashboards and alert rules rely on, as the exporter writes them.</summary>
    [Theory]
    [InlineData("flops_rounds_completed_total", "project", "level", "outcome")]
    [InlineData("flops_round_duration_seconds_bucket", "project", "level", "le")]
    [InlineData("flops_round_duration_seconds_count", "project", "level")]
    [InlineData("flops_round_participants_bucket", "project", "level", "le")]
    [InlineData("flops_round_stragglers_total", "project", "reason")]
    [InlineData("flops_edge_bytes_to_cloud_total", "project", "cluster")]
    [InlineData("flops_aggregation_duration_seconds_bucket", "project", "le")]
    [InlineData("flops_updates_received_total", "project", "outcome", "reason")]
    [InlineData("flops_update_bytes_total", "project")]
    [InlineData("flops_model_accuracy", "project")]
    [InlineData("flops_model_loss", "project")]
    [InlineData("flops_projects", "state")]
    [InlineData("flops_devices_registered", "cluster")]
    [InlineData("flops_devices_active", "cluster")]
    [InlineData("flops_silo_info", "role", "cluster")]
    public async Task Each_flops_metric_is_exposed_under_its_prometheus_name_with_its_labels(string name, params string[] labels)
    {
        var metrics = await MetricsAfterAProject();

        var series = metrics.Split('\n').Where(line => line.StartsWith(name + "{", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(series);
        Assert.All(series, line => Assert.All(labels, label => Assert.Contains($"{label}=\"", line, StringComparison.Ordinal)));
        Assert.DoesNotContain(series, line => line.Contains("device=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_gauges_report_every_project_state_and_the_silo_as_a_cloud_silo()
    {
        var metrics = await MetricsAfterAProject();

        foreach (var state in new[] { "Pending", "Running", "Completed", "Failed", "Cancelled" })
        {
            Assert.Matches($"(?m)^flops_projects\\{{[^}}]*state=\"{state}\"[^}}]*\\}} \\d+", metrics);
        }

        Assert.Matches("(?m)^flops_projects\\{[^}]*state=\"Completed\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("(?m)^flops_silo_info\\{[^}]*cluster=\"cloud\"[^}]*role=\"cloud\"[^}]*\\} 1$", metrics);
        Assert.Matches("(?m)^flops_devices_registered\\{[^}]*cluster=\"default\"[^}]*\\} [1-9]", metrics);
        Assert.Contains("# TYPE flops_round_duration_seconds histogram", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rounds_of_each_level_are_counted_apart()
    {
        var metrics = await MetricsAfterAProject();

        foreach (var level in new[] { "flat", "edge", "cloud" })
        {
            Assert.Matches($"(?m)^flops_rounds_completed_total\\{{[^}}]*level=\"{level}\"[^}}]*outcome=\"closed\"[^}}]*\\}} [1-9]", metrics);
        }

        Assert.DoesNotMatch("(?m)^flops_round[s_][^{]*\\{[^}]*level=\"(?!flat\"|edge\"|cloud\")", metrics);
    }

    [Fact]
    public async Task The_deadline_of_an_open_round_is_exposed_as_unix_seconds_and_goes_with_the_round()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1, devices: 2, latencySeconds: 4));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        bool HasDeadline(string line) => line.StartsWith("flops_round_deadline_seconds{", StringComparison.Ordinal) && line.Contains($"project=\"{id}\"", StringComparison.Ordinal);
        var open = await gateway.ScrapeMetricsUntil(m => m.Split('\n').Any(HasDeadline));

        Assert.Contains("# TYPE flops_round_deadline_seconds gauge", open, StringComparison.Ordinal);
        var line = Assert.Single(open.Split('\n'), HasDeadline);
        var deadline = double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(deadline, before + 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 61);

        await gateway.WaitForState(gateway.TenantA, id, "Completed");
        var closed = await gateway.ScrapeMetricsUntil(m => !m.Split('\n').Any(HasDeadline));
        Assert.DoesNotContain(closed.Split('\n'), HasDeadline);
    }

    private static Task<string>? _metricsAfterAProject;

    /// <summary>
    /// /metrics once a one-round classic project and a hierarchical one (two logical edge
    /// clusters on the one silo) have completed; run once for all the exposition tests (one
    /// gateway per test run).
    /// </summary>
    private Task<string> MetricsAfterAProject() => _metricsAfterAProject ??= RunAProjectAndScrape();

    private async Task<string> RunAProjectAndScrape()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        var hierarchical = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "gateway-hierarchical",
            training = new { mode = "hierarchical", rounds = 1, cycles = 1, batchSize = 16, learningRate = 0.5 },
            simulation = new { devices = 4, clusters = new[] { "edge-a", "edge-b" } },
        });
        Assert.Equal(HttpStatusCode.Created, hierarchical.StatusCode);
        var hierarchicalId = (await GatewayFixture.Body(hierarchical)).GetProperty("id").GetString()!;
        await gateway.WaitForState(gateway.TenantA, id, "Completed");
        await gateway.WaitForState(gateway.TenantA, hierarchicalId, "Completed");
        return await gateway.ScrapeMetricsUntil(m => m.Contains($"project=\"{id}\"", StringComparison.Ordinal) && m.Contains($"project=\"{hierarchicalId}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_registers_and_gets_an_id_and_a_secret_token()
    {
        var response = await gateway.TenantA.PostAsJsonAsync("/api/v1/devices", new { name = "phone-1", dataTags = new[] { "mnist" }, cluster = "edge-a", sampleCount = 800 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await GatewayFixture.Body(response);
        Assert.StartsWith("d-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("token").GetString()!.Length >= 32);
    }

    [Fact]
    public async Task An_invalid_device_registration_is_400_per_field()
    {
        var response = await gateway.TenantA.PostAsJsonAsync("/api/v1/devices", new { name = "", dataTags = Array.Empty<string>(), sampleCount = 0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await GatewayFixture.Body(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("dataTags", out _));
        Assert.True(errors.TryGetProperty("sampleCount", out _));
    }
}
