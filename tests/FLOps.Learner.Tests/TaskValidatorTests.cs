using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Protocol;

namespace FLOps.Learner.Tests;

public sealed class TaskValidatorTests
{
    private readonly TaskValidator _validator = new(TinyData.Create());

    [Fact]
    public void A_well_formed_task_that_fits_the_local_data_can_be_taken_with_its_settings()
    {
        var verdict = _validator.Check(SampleTasks.Fitting());

        Assert.True(verdict.CanTake, verdict.Reason);
        Assert.Equal(SoftmaxKind.Architecture(TinyData.Features, TinyData.Classes), verdict.Architecture);
        Assert.Equal(2, verdict.Training.Epochs);
        Assert.Equal(4, verdict.Training.BatchSize);
        Assert.Equal(0.1f, verdict.Training.LearningRate);
        Assert.Equal(7, verdict.Training.Seed);
        Assert.Equal(0f, verdict.Training.ProximalMu);
        Assert.Equal(0f, verdict.Training.Momentum);
        Assert.Null(verdict.Reason);
    }

    [Fact]
    public void A_task_that_names_its_tensors_is_taken_only_when_they_are_its_kinds_in_order()
    {
        var softmax = SoftmaxKind.Architecture(TinyData.Features, TinyData.Classes).Layout.Tensors
            .Select(t => new TensorView(t.Name, [.. t.Shape.Select(d => (long)d)])).ToList();

        var named = _validator.Check(SampleTasks.Fitting() with { Layout = softmax });
        var swapped = _validator.Check(SampleTasks.Fitting() with { Layout = [softmax[1], softmax[0]] });
        var reshaped = _validator.Check(SampleTasks.Fitting() with { Layout = [softmax[0] with { Shape = [TinyData.Features, TinyData.Classes] }, softmax[1]] });

        Assert.True(named.CanTake, named.Reason);
        Assert.Equal(TaskRefusal.ParameterCountMismatch, swapped.Refusal);
        Assert.Contains("layout", swapped.Reason, StringComparison.Ordinal);
        Assert.Equal(TaskRefusal.ParameterCountMismatch, reshaped.Refusal);
    }

    [Fact]
    public void A_tasks_momentum_reaches_the_training_and_a_task_without_one_means_plain_sgd()
    {
        var json = SampleTasks.Json(SampleTasks.Fitting() with { Momentum = 0.9 });
        var withMomentum = System.Text.Json.JsonSerializer.Deserialize<DeviceTaskView>(json, System.Text.Json.JsonSerializerOptions.Web);
        json.Remove("momentum");
        var fromAnOlderGateway = System.Text.Json.JsonSerializer.Deserialize<DeviceTaskView>(json, System.Text.Json.JsonSerializerOptions.Web);

        var taken = _validator.Check(withMomentum);
        var plain = _validator.Check(fromAnOlderGateway);

        Assert.True(taken.CanTake && plain.CanTake);
        Assert.Equal(0.9f, taken.Training.Momentum);
        Assert.Equal(0.0, fromAnOlderGateway!.Momentum);
        Assert.Equal(0f, plain.Training.Momentum);
    }

    [Fact]
    public void An_mlp_task_without_hidden_units_has_the_default_width()
    {
        const int hidden = MlpKind.DefaultHiddenUnits;
        var task = SampleTasks.Fitting() with
        {
            Model = new TaskModelView("MLP", TinyData.Features, TinyData.Classes, HiddenUnits: null),
            ParameterCount = (hidden * TinyData.Features) + hidden + (TinyData.Classes * hidden) + TinyData.Classes,
        };

        var verdict = _validator.Check(task);

        Assert.True(verdict.CanTake, verdict.Reason);
        Assert.Equal(MlpKind.Architecture(TinyData.Features, TinyData.Classes, hidden), verdict.Architecture);
    }

    public static TheoryData<string> Kinds => [.. ModelCatalog.Names];

    /// <summary>The kinds the contract names that the catalogue does not have yet, and one it never will.</summary>
    public static TheoryData<string> UnknownKinds => [.. new[] { "cnn", "forest" }.Where(name => ModelCatalog.Find(name) is null)];

    [Fact]
    public void A_task_of_an_uploaded_onnx_model_is_refused_pointing_to_a_learner_of_its_framework()
    {
        var verdict = _validator.Check(SampleTasks.Fitting() with { Model = new TaskModelView("onnx", TinyData.Features, TinyData.Classes, HiddenUnits: null, ModelId: "m-1") });

        Assert.Equal(TaskRefusal.UnsupportedModel, verdict.Refusal);
        Assert.Contains("learner of its own framework", verdict.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_task_of_every_catalogue_kind_can_be_taken_as_that_kind_at_its_sizes(string kind)
    {
        // The tiny data's 4 features, or digits for a kind that reads only 28×28 images (cnn).
        var data = Builds(kind, new ModelSize(TinyData.Features, TinyData.Classes))
            ? TinyData.Create()
            : Mnist.Load().Train.Select([.. Enumerable.Range(0, TinyData.Samples)]);
        var expected = ModelCatalog.Architecture(kind, new ModelSize(data.FeatureCount, data.ClassCount));
        var task = SampleTasks.Fitting() with
        {
            Model = new TaskModelView(kind.ToUpperInvariant(), data.FeatureCount, data.ClassCount, HiddenUnits: null),
            ParameterCount = expected.ParameterCount,
        };

        var verdict = new TaskValidator(data).Check(task);

        Assert.True(verdict.CanTake, verdict.Reason);
        Assert.Equal(expected, verdict.Architecture);
    }

    [Fact]
    public void A_cnn_task_of_other_inputs_than_one_28x28_image_is_refused_saying_so()
    {
        var task = SampleTasks.Fitting() with { Model = new TaskModelView("cnn", TinyData.Features, TinyData.Classes, HiddenUnits: null) };

        var verdict = _validator.Check(task);

        Assert.Equal(TaskRefusal.UnsupportedModel, verdict.Refusal);
        Assert.Equal($"model: a cnn reads 28×28 single-channel images, 784 inputs (got {TinyData.Features})", verdict.Reason);
    }

    [Theory]
    [MemberData(nameof(UnknownKinds))]
    public void A_task_of_a_kind_outside_the_catalogue_is_refused_naming_exactly_the_catalogue_kinds(string kind)
    {
        var verdict = _validator.Check(SampleTasks.Fitting() with { Model = SampleTasks.Fitting().Model with { Kind = kind } });

        Assert.Equal(TaskRefusal.UnsupportedModel, verdict.Refusal);
        Assert.Equal($"model.kind '{kind}' is not one of {string.Join(", ", ModelCatalog.Names)}", verdict.Reason);
    }

    [Theory]
    [InlineData("no task id", TaskRefusal.MissingField, "the task has no taskId")]
    [InlineData("blank project id", TaskRefusal.MissingField, "the task has no projectId")]
    [InlineData("overlong model hash", TaskRefusal.OutOfRange, "modelHash is 300 characters long, more than 256")]
    [InlineData("no model", TaskRefusal.MissingField, "the task has no model")]
    [InlineData("no kind", TaskRefusal.MissingField, "the model has no kind")]
    [InlineData("no inputs", TaskRefusal.MissingField, "the task has no model.inputs")]
    [InlineData("negative inputs", TaskRefusal.OutOfRange, "model.inputs must be between 1 and 1000000 (got -4)")]
    [InlineData("one class", TaskRefusal.OutOfRange, "model.classes must be between 2 and 100000 (got 1)")]
    [InlineData("no hidden units", TaskRefusal.OutOfRange, "model.hiddenUnits must be between 1 and 100000 (got 0)")]
    [InlineData("wrong parameter count", TaskRefusal.ParameterCountMismatch, "the task says 11 parameters but a softmax 4→2 has 10")]
    [InlineData("model too large for int", TaskRefusal.OutOfRange, "an mlp 1000000→100000→100000 has 110000200000 parameters, more than the 50000000 a learner takes")]
    [InlineData("zero epochs", TaskRefusal.OutOfRange, "localEpochs must be between 1 and 1000 (got 0)")]
    [InlineData("too many epochs", TaskRefusal.OutOfRange, "localEpochs must be between 1 and 1000 (got 1001)")]
    [InlineData("negative batch size", TaskRefusal.OutOfRange, "batchSize must be between 1 and 100000 (got -5)")]
    [InlineData("huge batch size", TaskRefusal.OutOfRange, "batchSize must be between 1 and 100000 (got 2147483647)")]
    [InlineData("NaN learning rate", TaskRefusal.OutOfRange, "learningRate must be a finite positive number (got NaN)")]
    [InlineData("zero learning rate", TaskRefusal.OutOfRange, "learningRate must be a finite positive number (got 0)")]
    [InlineData("learning rate beyond float", TaskRefusal.OutOfRange, "learningRate must be a finite positive number (got 1E+300)")]
    [InlineData("negative proximal mu", TaskRefusal.OutOfRange, "proximalMu must be a finite number of at least 0 (got -1)")]
    [InlineData("infinite proximal mu", TaskRefusal.OutOfRange, "proximalMu must be a finite number of at least 0 (got Infinity)")]
    [InlineData("negative momentum", TaskRefusal.OutOfRange, "momentum must be a finite number in [0, 1) (got -0.5)")]
    [InlineData("momentum of one", TaskRefusal.OutOfRange, "momentum must be a finite number in [0, 1) (got 1)")]
    [InlineData("momentum that rounds to one in float", TaskRefusal.OutOfRange, "momentum must be a finite number in [0, 1) (got 0.99999999999)")]
    [InlineData("NaN momentum", TaskRefusal.OutOfRange, "momentum must be a finite number in [0, 1) (got NaN)")]
    [InlineData("a model for other data", TaskRefusal.DataDoesNotFit, "the model takes 784 features but the local data has 4")]
    public void A_task_with_a_bad_field_is_refused_with_a_reason_naming_it(string fault, TaskRefusal refusal, string reason)
    {
        var verdict = _validator.Check(TaskWith(fault));

        Assert.False(verdict.CanTake);
        Assert.Equal(refusal, verdict.Refusal);
        Assert.Equal(reason, verdict.Reason);
    }

    [Fact]
    public void A_model_with_fewer_classes_than_the_local_labels_is_refused_naming_the_label()
    {
        var threeClasses = new Dataset(new float[3 * TinyData.Features], [0, 1, 2], TinyData.Features, 3);

        var verdict = new TaskValidator(threeClasses).Check(SampleTasks.Fitting());

        Assert.Equal(TaskRefusal.DataDoesNotFit, verdict.Refusal);
        Assert.Equal("the model has 2 classes (labels 0 to 1) but the local data has label 2", verdict.Reason);
    }

    [Fact]
    public void A_model_with_more_classes_than_the_local_data_declares_can_be_taken()
    {
        var task = SampleTasks.Fitting() with
        {
            Model = new TaskModelView("softmax", TinyData.Features, 10, HiddenUnits: null),
            ParameterCount = (TinyData.Features * 10) + 10,
        };

        Assert.True(_validator.Check(task).CanTake);
    }

    [Fact]
    public void A_device_without_samples_takes_no_task()
    {
        var empty = new Dataset([], [], TinyData.Features, TinyData.Classes);

        var verdict = new TaskValidator(empty).Check(SampleTasks.Fitting());

        Assert.Equal(TaskRefusal.DataDoesNotFit, verdict.Refusal);
        Assert.Equal("the local data has no samples", verdict.Reason);
    }

    [Fact]
    public void No_task_at_all_is_refused()
    {
        Assert.Equal(TaskRefusal.MissingField, _validator.Check(null).Refusal);
    }

    private static DeviceTaskView TaskWith(string fault)
    {
        var task = SampleTasks.Fitting();
        var model = task.Model;
        return fault switch
        {
            "no task id" => task with { TaskId = null! },
            "blank project id" => task with { ProjectId = "  " },
            "overlong model hash" => task with { ModelHash = new string('h', 300) },
            "no model" => task with { Model = null! },
            "no kind" => task with { Model = model with { Kind = null! } },
            "no inputs" => task with { Model = model with { Inputs = null } },
            "negative inputs" => task with { Model = model with { Inputs = -4 } },
            "one class" => task with { Model = model with { Classes = 1 } },
            "no hidden units" => task with { Model = model with { Kind = "mlp", HiddenUnits = 0 } },
            "wrong parameter count" => task with { ParameterCount = 11 },
            "model too large for int" => task with { Model = new TaskModelView("mlp", 1_000_000, 100_000, 100_000) },
            "zero epochs" => task with { LocalEpochs = 0 },
            "too many epochs" => task with { LocalEpochs = 1001 },
            "negative batch size" => task with { BatchSize = -5 },
            "huge batch size" => task with { BatchSize = int.MaxValue },
            "NaN learning rate" => task with { LearningRate = double.NaN },
            "zero learning rate" => task with { LearningRate = 0 },
            "learning rate beyond float" => task with { LearningRate = 1e300 },
            "negative proximal mu" => task with { ProximalMu = -1 },
            "infinite proximal mu" => task with { ProximalMu = double.PositiveInfinity },
            "negative momentum" => task with { Momentum = -0.5 },
            "momentum of one" => task with { Momentum = 1 },
            "momentum that rounds to one in float" => task with { Momentum = 0.99999999999 },
            "NaN momentum" => task with { Momentum = double.NaN },
            "a model for other data" => SampleTasks.ForMnist(),
            _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, "no such fault"),
        };
    }

    private static bool Builds(string kind, ModelSize size)
    {
        try
        {
            ModelCatalog.Find(kind)!.CountParameters(size);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
