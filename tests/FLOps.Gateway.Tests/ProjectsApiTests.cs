using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace FLOps.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ProjectsApiTests(GatewayFixture gateway)
{
    private static StringContent RawJson(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_submitted_project_trains_to_completion_and_serves_its_model_and_predictions()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/projects/{id}", created.Headers.Location!.OriginalString);
        var done = await gateway.WaitForState(gateway.TenantA, id, "Completed");
        Assert.Equal("gateway-test", done.GetProperty("name").GetString());
        Assert.Equal(2, done.GetProperty("currentRound").GetInt32());
        var rounds = done.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(2, rounds.Count);
        foreach (var round in rounds)
        {
            Assert.Equal(3, round.GetProperty("participants").GetInt32());
            Assert.InRange(round.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
            Assert.True(round.GetProperty("loss").GetDouble() > 0);
            Assert.True(round.GetProperty("seconds").GetDouble() >= 0);
        }

        var model = await gateway.TenantA.GetAsync($"/api/v1/projects/{id}/model");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("application/octet-stream", model.Content.Headers.ContentType!.MediaType);
        Assert.True((await model.Content.ReadAsByteArrayAsync()).Length > 7850 * sizeof(float));

        var prediction = await gateway.TenantA.PostAsJsonAsync($"/api/v1/projects/{id}/predict", new { features = new float[784] });
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        var body = await GatewayFixture.Body(prediction);
        Assert.InRange(body.GetProperty("label").GetInt32(), 0, 9);
        Assert.Equal(10, body.GetProperty("scores").GetArrayLength());
    }

    [Fact]
    public async Task A_round_whose_model_has_no_finite_loss_shows_none_and_the_project_stays_readable()
    {
        // Finite but enormous parameters (no norm bound set) make a model whose held-out loss is not a number.
        var tag = "tag-" + Guid.NewGuid().ToString("N")[..8];
        var device = await LearnerDevice.Register(gateway, gateway.TenantA, tag);
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", new
        {
            name = "overflowing-model",
            dataTag = tag,
            model = new { kind = "softmax", inputs = 4, classes = 2 },
            training = new { rounds = 1, minFitClients = 1, minAvailableClients = 1 },
        });
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        var task = (await device.NextTask())!;
        Assert.Equal(HttpStatusCode.OK, (await device.Upload(task, Enumerable.Repeat(float.MaxValue, task.ParameterCount).ToArray())).StatusCode);

        var done = await gateway.WaitForState(gateway.TenantA, id, "Completed", "Failed");

        var round = done.GetProperty("rounds")[0];
        Assert.Equal(System.Text.Json.JsonValueKind.Null, round.GetProperty("loss").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await gateway.TenantA.GetAsync("/api/v1/projects")).StatusCode);
    }

    [Fact]
    public async Task Without_a_key_or_with_a_wrong_one_the_answer_is_401_problem_details()
    {
        var none = await gateway.Anonymous.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec());
        var wrong = await gateway.Client("not-a-key").GetAsync("/api/v1/projects");

        foreach (var response in new[] { none, wrong })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
    }

    [Theory]
    [InlineData("""{"name":"x","training":{"rounds":0}}""", "training.rounds")]
    [InlineData("""{"name":"x","training":{"fractionFit":1.5}}""", "training.fractionFit")]
    [InlineData("""{"name":"x","model":{"kind":"forest"}}""", "model.kind")]
    [InlineData("""{"name":"x","dataTag":"sensors","model":{"kind":"cnn","inputs":20,"classes":3}}""", "model")]
    [InlineData("""{"name":"x","strategy":{"name":"fedmagic"}}""", "strategy")]
    [InlineData("""{"name":"x","simulation":{"devices":3,"partition":"dirichlet:0"}}""", "simulation.partition")]
    [InlineData("""{"name":"x","simulation":{"devices":3,"latencySeconds":1e400}}""", "simulation.latencySeconds")]
    [InlineData("""{"name":"x","training":{"learningRate":-1e400}}""", "training.learningRate")]
    [InlineData("""{"name":"x","training":{"momentum":1}}""", "training.momentum")]
    [InlineData("""{"name":"x","privacy":{"clippingNorm":1e308,"noiseMultiplier":1}}""", "privacy.clippingNorm")]
    public async Task An_invalid_spec_is_400_with_a_message_for_the_field(string spec, string field)
    {
        var response = await gateway.TenantA.PostAsync("/api/v1/projects", RawJson(spec));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await GatewayFixture.Body(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {errors}");
        Assert.True(messages.GetArrayLength() > 0);
    }

    [Theory]
    [InlineData("""{"name":"x","colour":"blue"}""", "colour")]
    [InlineData("""{"name":"x","training":{"rounds":"ten"}}""", "rounds")]
    [InlineData("""{"name":"x","training":{"rounds":99999999999999999999}}""", "rounds")]
    [InlineData("""{"name":""", "JSON")]
    [InlineData("""[]""", "JSON")]
    [InlineData("""null""", "null")]
    public async Task Malformed_json_is_400_naming_what_is_wrong(string body, string mentioned)
    {
        var response = await gateway.TenantA.PostAsync("/api/v1/projects", RawJson(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentioned, (await GatewayFixture.Body(response)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var huge = "{\"name\":\"" + new string('x', new FLOps.Abstractions.Limits.FlopsLimits().MaxJsonBodyBytes + 10) + "\"}";

        var response = await gateway.TenantA.PostAsync("/api/v1/projects", RawJson(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Another_tenants_project_is_404_and_not_listed()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await gateway.TenantB.GetAsync($"/api/v1/projects/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.TenantB.GetAsync($"/api/v1/projects/{id}/model")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.TenantB.PostAsync($"/api/v1/projects/{id}/cancel", null)).StatusCode);
        var listB = await gateway.TenantB.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/v1/projects");
        Assert.DoesNotContain(listB!, p => p.GetProperty("id").GetString() == id);
        var listA = await gateway.TenantA.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/v1/projects");
        Assert.Contains(listA!, p => p.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_retried_submission_with_the_same_idempotency_key_returns_the_same_project()
    {
        async Task<string> Submit(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/projects") { Content = JsonContent.Create(GatewayFixture.Spec(rounds: 1)) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await gateway.TenantA.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await GatewayFixture.Body(response)).GetProperty("id").GetString()!;
        }

        var first = await Submit("retry-me");
        var again = await Submit("retry-me");
        var other = await Submit("another-key");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task A_running_project_can_be_cancelled_and_has_no_model_before_its_first_round()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 50, latencySeconds: 30));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        var model = await gateway.TenantA.GetAsync($"/api/v1/projects/{id}/model");
        var predict = await gateway.TenantA.PostAsJsonAsync($"/api/v1/projects/{id}/predict", new { features = new float[784] });
        var cancel = await gateway.TenantA.PostAsync($"/api/v1/projects/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, model.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, predict.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("Cancelled", (await GatewayFixture.Body(cancel)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Predict_with_features_of_the_wrong_length_is_422()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        await gateway.WaitForState(gateway.TenantA, id, "Completed");

        var response = await gateway.TenantA.PostAsJsonAsync($"/api/v1/projects/{id}/predict", new { features = new float[3] });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Theory]
    [InlineData("1e39")]
    [InlineData("-1e39")]
    public async Task Predict_refuses_a_feature_beyond_the_range_of_a_float_with_422_naming_its_index(string huge)
    {
        var id = await ACompletedProject();
        var features = Enumerable.Repeat("0", 784).ToArray();
        features[7] = huge;

        var response = await gateway.TenantA.PostAsync($"/api/v1/projects/{id}/predict", RawJson($$"""{"features":[{{string.Join(',', features)}}]}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("features[7]", (await GatewayFixture.Body(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_answers_409_with_the_reason_when_the_models_scores_overflow_for_the_input()
    {
        var id = await ACompletedProject();
        // Every pixel at float's largest magnitude, with the sign of class 0's weight on it: class 0's
        // logit sums positive terms only, overflows to +infinity, and the softmax gives NaN.
        var model = Onnx.ModelProto.Parser.ParseFrom(await gateway.TenantA.GetByteArrayAsync($"/api/v1/projects/{id}/model"));
        var weightsOfClass0 = model.Graph.Initializer.Single(t => t.Name == "W").FloatData.Take(784).ToArray();
        Assert.True(weightsOfClass0.Sum(Math.Abs) > 1, "the trained weights are too small to overflow");
        var features = weightsOfClass0.Select(w => w >= 0 ? float.MaxValue : -float.MaxValue).ToArray();

        var response = await gateway.TenantA.PostAsJsonAsync($"/api/v1/projects/{id}/predict", new { features });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("the model's scores are not finite for this input", (await GatewayFixture.Body(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> ACompletedProject()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 1));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;
        await gateway.WaitForState(gateway.TenantA, id, "Completed");
        return id;
    }

    [Fact]
    public async Task An_unknown_project_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.TenantA.GetAsync("/api/v1/projects/p-nope")).StatusCode);
    }

    [Fact]
    public async Task The_event_stream_reports_progress_until_the_project_ends()
    {
        var created = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 2));
        var id = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        var stream = await gateway.TenantA.GetStringAsync($"/api/v1/projects/{id}/events");

        Assert.Contains("event: progress", stream, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"Completed\"", stream, StringComparison.Ordinal);
    }
}
