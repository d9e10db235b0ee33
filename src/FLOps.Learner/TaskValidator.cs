using System.Globalization;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using FLOps.Learning.Training;
using FLOps.Protocol;

namespace FLOps.Learner;

/// <summary>
/// Decides whether this device can take a task, before it downloads or trains anything. The task
/// comes from the network, so nothing in it is trusted: every field may be missing, negative,
/// huge or inconsistent with the others, and the model may not fit the local data. A refusal names
/// the field (as the wire spells it) and the numbers at fault.
/// </summary>
public sealed class TaskValidator
{
    /// <summary>Largest model a learner downloads and trains: 200 MB of float32.</summary>
    public const int MaxParameterCount = 50_000_000;

    public const int MaxInputs = 1_000_000;
    public const int MaxClasses = 100_000;
    public const int MaxHiddenUnits = 100_000;
    public const int MaxLocalEpochs = 1_000;
    public const int MaxBatchSize = 100_000;

    /// <summary>Ids and hashes travel in URLs and logs; longer ones are not ids.</summary>
    public const int MaxIdLength = 256;

    private readonly int _featureCount;
    private readonly int _sampleCount;
    private readonly int _largestLabel;

    public TaskValidator(Dataset localData)
    {
        ArgumentNullException.ThrowIfNull(localData);
        _featureCount = localData.FeatureCount;
        _sampleCount = localData.Count;
        _largestLabel = localData.Count == 0 ? -1 : localData.Labels.Max();
    }

    /// <summary>Whether <paramref name="id"/> can name a task in a decline and in the agent's memory.</summary>
    public static bool IsUsableId(string? id) => !string.IsNullOrWhiteSpace(id) && id.Length <= MaxIdLength;

    public TaskVerdict Check(DeviceTaskView? task)
    {
        if (task is null)
        {
            return TaskVerdict.Refuse(TaskRefusal.MissingField, "the answer holds no task");
        }

        if ((CheckId(task.TaskId, "taskId") ?? CheckId(task.ProjectId, "projectId") ?? CheckId(task.ModelHash, "modelHash")) is { } badId)
        {
            return badId;
        }

        if (ResolveArchitecture(task.Model, task.ParameterCount, out var architecture) is { } badModel)
        {
            return badModel;
        }

        if (CheckLayout(task.Layout, architecture) is { } badLayout)
        {
            return badLayout;
        }

        if (task.LocalEpochs is < 1 or > MaxLocalEpochs)
        {
            return OutOfRange("localEpochs", 1, MaxLocalEpochs, task.LocalEpochs);
        }

        if (task.BatchSize is < 1 or > MaxBatchSize)
        {
            return OutOfRange("batchSize", 1, MaxBatchSize, task.BatchSize);
        }

        // The trainer works in float: a double that is finite may still overflow to infinity there.
        var learningRate = (float)task.LearningRate;
        if (!float.IsFinite(learningRate) || learningRate <= 0)
        {
            return TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"learningRate must be a finite positive number (got {task.LearningRate})"));
        }

        var proximalMu = (float)task.ProximalMu;
        if (!float.IsFinite(proximalMu) || proximalMu < 0)
        {
            return TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"proximalMu must be a finite number of at least 0 (got {task.ProximalMu})"));
        }

        var momentum = (float)task.Momentum;
        if (!float.IsFinite(momentum) || momentum < 0 || momentum >= 1)
        {
            return TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"momentum must be a finite number in [0, 1) (got {task.Momentum})"));
        }

        if (CheckFit(architecture) is { } misfit)
        {
            return misfit;
        }

        return TaskVerdict.Take(architecture, new TrainingOptions(task.LocalEpochs, task.BatchSize, learningRate, task.Seed, proximalMu, momentum));
    }

    private static TaskVerdict? CheckId(string? id, string field)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return TaskVerdict.Refuse(TaskRefusal.MissingField, $"the task has no {field}");
        }

        return id.Length > MaxIdLength
            ? TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"{field} is {id.Length} characters long, more than {MaxIdLength}"))
            : null;
    }

    /// <summary>
    /// The task's model from <see cref="ModelCatalog"/>, once its kind is known, its sizes are in
    /// range and its parameter count (in checked 64-bit arithmetic, before anything is allocated)
    /// is at most <see cref="MaxParameterCount"/> and the one the task announces; otherwise the refusal.
    /// </summary>
    private static TaskVerdict? ResolveArchitecture(TaskModelView? model, int announcedParameterCount, out ModelArchitecture architecture)
    {
        architecture = null!;
        if (model is null)
        {
            return TaskVerdict.Refuse(TaskRefusal.MissingField, "the task has no model");
        }

        var kind = ModelCatalog.Find(model.Kind);
        if (kind is null)
        {
            return string.IsNullOrWhiteSpace(model.Kind)
                ? TaskVerdict.Refuse(TaskRefusal.MissingField, "the model has no kind")
                : string.Equals(model.Kind, ImportedOnnxModel.KindName, StringComparison.OrdinalIgnoreCase)
                ? TaskVerdict.Refuse(TaskRefusal.UnsupportedModel, $"an uploaded onnx model is trained by a learner of its own framework (such as src/python/flops_learner); flops learner trains {ModelCatalog.NameList}")
                : TaskVerdict.Refuse(TaskRefusal.UnsupportedModel, $"model.kind '{GatewayText.OneLine(model.Kind, 40)}' is not one of {ModelCatalog.NameList}");
        }

        if ((CheckSize(model.Inputs, "model.inputs", 1, MaxInputs) ?? CheckSize(model.Classes, "model.classes", 2, MaxClasses)) is { } badSize)
        {
            return badSize;
        }

        // The kind fills in its defaults (an mlp task without hiddenUnits means the default width, as
        // project specs do) and drops the sizes it does not read, which then need no check.
        var size = kind.Normalize(new ModelSize(model.Inputs!.Value, model.Classes!.Value, model.HiddenUnits));
        if (model.HiddenUnits is not null && size.HiddenUnits is not null && CheckSize(size.HiddenUnits, "model.hiddenUnits", 1, MaxHiddenUnits) is { } badHidden)
        {
            return badHidden;
        }

        // A hostile size must not overflow into a small, plausible count.
        long parameterCount;
        try
        {
            parameterCount = kind.CountParameters(size);
        }
        catch (ArgumentException e)
        {
            return TaskVerdict.Refuse(TaskRefusal.UnsupportedModel, $"model: {GatewayText.OneLine(e.Message, 200)}");
        }

        if (parameterCount > MaxParameterCount)
        {
            return TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"{kind.Describe(size)} has {parameterCount} parameters, more than the {MaxParameterCount} a learner takes"));
        }

        if (announcedParameterCount != parameterCount)
        {
            return TaskVerdict.Refuse(TaskRefusal.ParameterCountMismatch, Invariant($"the task says {announcedParameterCount} parameters but {kind.Describe(size)} has {parameterCount}"));
        }

        architecture = new ModelArchitecture(kind, size);
        return null;
    }

    /// <summary>
    /// A task that names its tensors (every gateway since the learner protocol carried the layout)
    /// must name this kind's, in its order: the vector would otherwise be trained as another model.
    /// </summary>
    private static TaskVerdict? CheckLayout(IReadOnlyList<TensorView>? layout, ModelArchitecture architecture)
    {
        if (layout is null)
        {
            return null;
        }

        var expected = architecture.Layout.Tensors;
        var matches = layout.Count == expected.Count
            && layout.Zip(expected).All(pair => pair.First is { } given && given.Name == pair.Second.Name && given.Shape is { } shape && shape.SequenceEqual(pair.Second.Shape.Select(d => (long)d)));
        return matches
            ? null
            : TaskVerdict.Refuse(TaskRefusal.ParameterCountMismatch, $"the task's layout is not the one of {architecture.Kind.Describe(architecture.Size)} ({GatewayText.OneLine(architecture.Layout.ToString(), 200)})");
    }

    private static TaskVerdict? CheckSize(int? value, string field, int min, int max) => value switch
    {
        null => TaskVerdict.Refuse(TaskRefusal.MissingField, $"the task has no {field}"),
        { } given when given < min || given > max => OutOfRange(field, min, max, given),
        _ => null,
    };

    private TaskVerdict? CheckFit(ModelArchitecture architecture)
    {
        if (architecture.InputCount != _featureCount)
        {
            return TaskVerdict.Refuse(TaskRefusal.DataDoesNotFit, Invariant($"the model takes {architecture.InputCount} features but the local data has {_featureCount}"));
        }

        if (_largestLabel >= architecture.ClassCount)
        {
            return TaskVerdict.Refuse(TaskRefusal.DataDoesNotFit, Invariant($"the model has {architecture.ClassCount} classes (labels 0 to {architecture.ClassCount - 1}) but the local data has label {_largestLabel}"));
        }

        return _sampleCount == 0
            ? TaskVerdict.Refuse(TaskRefusal.DataDoesNotFit, "the local data has no samples")
            : null;
    }

    private static TaskVerdict OutOfRange(string field, int min, int max, int given) =>
        TaskVerdict.Refuse(TaskRefusal.OutOfRange, Invariant($"{field} must be between {min} and {max} (got {given})"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
