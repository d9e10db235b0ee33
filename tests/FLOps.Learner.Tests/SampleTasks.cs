using System.Text.Json;
using System.Text.Json.Nodes;
using FLOps.Protocol;

namespace FLOps.Learner.Tests;

public static class SampleTasks
{
    public const string ModelHash = "model-hash-1";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>A task the <see cref="TinyData"/> device can take: a softmax 4→2.</summary>
    public static DeviceTaskView Fitting(string taskId = "task-1") => new(
        TaskId: taskId,
        ProjectId: "project-1",
        Round: 1,
        ModelHash: ModelHash,
        ParameterCount: TinyData.SoftmaxParameterCount,
        Model: new TaskModelView("softmax", TinyData.Features, TinyData.Classes, HiddenUnits: null),
        LocalEpochs: 2,
        BatchSize: 4,
        LearningRate: 0.1,
        ProximalMu: 0,
        Seed: 7);

    /// <summary>A well-formed task whose model takes MNIST digits, which the 4-feature device does not have.</summary>
    public static DeviceTaskView ForMnist(string taskId = "task-mnist") => Fitting(taskId) with
    {
        ParameterCount = (784 * 10) + 10,
        Model = new TaskModelView("softmax", 784, 10, HiddenUnits: null),
    };

    public static JsonObject Json(DeviceTaskView task) => JsonSerializer.SerializeToNode(task, Web)!.AsObject();

    public static JsonObject Json(DeviceTaskView task, string field, string valueJson)
    {
        var json = Json(task);
        json[field] = JsonNode.Parse(valueJson);
        return json;
    }
}
