using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FLOps.Inference.Tests;
using FLOps.Learning.Onnx;
using FLOps.Protocol;

namespace FLOps.Gateway.Tests;

/// <summary>
/// ONNX models from other frameworks (issue 15, item 3): uploaded, federated by registered
/// learners that see the graph's own tensor names, and delivered as the uploaded graph with the
/// aggregated parameters.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ModelsApiTests(GatewayFixture gateway)
{
    private const int SoftmaxParameters = 7850;

    private static float[] Parameters(int seed, double scale = 0.05)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, SoftmaxParameters).Select(_ => (float)((random.NextDouble() - 0.5) * 2 * scale))];
    }

    private static async Task<HttpResponseMessage> Upload(HttpClient tenant, byte[] onnx)
    {
        var content = new ByteArrayContent(onnx);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await tenant.PostAsync(ServiceRoutes.Models, content);
    }

    private async Task<ModelUploadView> Uploaded(HttpClient tenant, byte[] onnx)
    {
        var response = await Upload(tenant, onnx);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ModelUploadView>(GatewayFixture.Json))!;
    }

    private static object OnnxSpec(string modelId, int rounds = 1, int minFit = 2, object? simulation = null) => new
    {
        name = "pytorch-softmax",
        dataTag = "mnist",
        model = new { kind = "onnx", modelId },
        training = new { rounds, minFitClients = minFit, minAvailableClients = minFit, roundTimeoutSeconds = 60 },
        simulation,
    };

    [Fact]
    public async Task An_upload_answers_with_its_id_and_the_graphs_tensors_and_only_its_tenant_sees_it()
    {
        var response = await Upload(gateway.TenantA, ForeignOnnx.Softmax(Parameters(1)));
        var view = (await response.Content.ReadFromJsonAsync<ModelUploadView>(GatewayFixture.Json))!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{ServiceRoutes.Models}/{view.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(SoftmaxParameters, view.Parameters);
        Assert.Equal(["fc.weight:10x784", "fc.bias:10"], Describe(view.Layout));
        Assert.Equal(HttpStatusCode.OK, (await gateway.TenantA.GetAsync(response.Headers.Location)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.TenantB.GetAsync(response.Headers.Location)).StatusCode);
    }

    public static TheoryData<string, string> Unusable => new()
    {
        { "empty", "the body is empty" },
        { "garbage", "not an ONNX model" },
        { "no-float-initializers", "no float initializers" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task A_model_that_cannot_be_federated_gets_422_with_the_reason(string fault, string reason)
    {
        byte[] onnx = fault switch
        {
            "empty" => [],
            "garbage" => [0xff, 0xff, 0xff, 0x01],
            _ => ForeignOnnx.Softmax(Parameters(2), change: g => g.Initializer.Clear()),
        };

        var response = await Upload(gateway.TenantA, onnx);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, (await GatewayFixture.Body(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_naming_another_tenants_model_or_simulating_an_onnx_model_is_refused_at_the_field()
    {
        var ofB = await Uploaded(gateway.TenantB, ForeignOnnx.Softmax(Parameters(3)));
        var ofA = await Uploaded(gateway.TenantA, ForeignOnnx.Softmax(Parameters(3)));

        var foreign = await gateway.TenantA.PostAsJsonAsync(ServiceRoutes.Projects, OnnxSpec(ofB.Id));
        var simulated = await gateway.TenantA.PostAsJsonAsync(ServiceRoutes.Projects, OnnxSpec(ofA.Id, simulation: new { devices = 3 }));
        var missing = await gateway.TenantA.PostAsJsonAsync(ServiceRoutes.Projects, new { name = "x", model = new { kind = "onnx" } });

        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Contains("no uploaded model", Errors(await GatewayFixture.Body(foreign), "model.modelId"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, simulated.StatusCode);
        Assert.Contains("registered learners", Errors(await GatewayFixture.Body(simulated), "simulation"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("is required for kind onnx", Errors(await GatewayFixture.Body(missing), "model.modelId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Learners_train_the_uploaded_graphs_tensors_and_the_trained_model_is_that_graph_with_their_weighted_mean()
    {
        var tenant = gateway.Client(GatewayFixture.KeyOnnx);
        var model = await Uploaded(tenant, ForeignOnnx.Softmax(Parameters(4)));
        var devices = await Task.WhenAll(LearnerDevice.Register(gateway, tenant, "mnist", 30), LearnerDevice.Register(gateway, tenant, "mnist", 10));
        var created = await tenant.PostAsJsonAsync(ServiceRoutes.Projects, OnnxSpec(model.Id));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = (await GatewayFixture.Body(created)).GetProperty("id").GetString()!;

        float[][] trained = [Parameters(5, 0.1), Parameters(6, 0.1)];
        long[] samples = [30, 10];
        for (var i = 0; i < devices.Length; i++)
        {
            var task = (await devices[i].NextTask())!;
            Assert.Equal("onnx", task.Model.Kind);
            Assert.Equal(Describe(model.Layout), Describe(task.Layout!));
            Assert.Equal(HttpStatusCode.OK, (await devices[i].Upload(task, trained[i], samples[i])).StatusCode);
        }

        var done = await gateway.WaitForState(tenant, projectId, "Completed", "Failed");
        Assert.Equal("Completed", done.GetProperty("state").GetString());
        Assert.True(done.GetProperty("rounds")[0].GetProperty("accuracy").GetDouble() is > 0 and <= 1, done.ToString());

        var onnx = await tenant.GetByteArrayAsync(ServiceRoutes.Model(projectId));
        var delivered = ImportedOnnxModel.Import(onnx, long.MaxValue);
        var expected = Enumerable.Range(0, SoftmaxParameters).Select(j => ((30.0 * trained[0][j]) + (10.0 * trained[1][j])) / 40.0).ToArray();
        Assert.Equal(["fc.weight", "fc.bias"], delivered.Layout.Tensors.Select(t => t.Name));
        Assert.All(delivered.InitialParameters.Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 1e-6));

        var prediction = await tenant.PostAsJsonAsync(ServiceRoutes.Project(projectId) + "/predict", new { features = new float[784] });
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        Assert.Equal(10, (await GatewayFixture.Body(prediction)).GetProperty("scores").GetArrayLength());
    }

    private static IEnumerable<string> Describe(IEnumerable<TensorView> layout) => layout.Select(t => $"{t.Name}:{string.Join('x', t.Shape)}");

    private static string Errors(JsonElement problem, string field) =>
        string.Join(" | ", problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
}
