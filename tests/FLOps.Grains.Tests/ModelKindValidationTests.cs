using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Grains.Tests;

/// <summary>The spec validator knows the kinds of <see cref="ModelCatalog"/>, and only those.</summary>
public sealed class ModelKindValidationTests
{
    /// <summary>Within the bound on model.inputs.</summary>
    private const int HugeInputs = 9_000_000;

    public static TheoryData<string> Kinds => [.. ModelCatalog.Names];

    /// <summary>Kinds the contract names that the catalogue does not have yet, and one it never will.</summary>
    public static TheoryData<string> UnknownKinds => [.. new[] { "cnn", "forest" }.Where(name => ModelCatalog.Find(name) is null)];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_spec_of_every_catalogue_kind_is_valid_and_stored_with_the_kinds_name_and_sizes(string kind)
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Model = new ModelSpec { Kind = kind.ToUpperInvariant() } };

        Assert.Empty(ProjectSpecValidator.Validate(spec));
        var model = ProjectSpecValidator.Normalize(spec).Model;

        var expected = ModelCatalog.Architecture(kind, new ModelSize(784, 10));
        Assert.Equal(kind, model.Kind);
        Assert.Equal(expected.Size, new ModelSize(model.Inputs!.Value, model.Classes!.Value, model.HiddenUnits));
        Assert.Equal(expected, ProjectSpecValidator.ArchitectureOf(model));
    }

    [Fact]
    public void A_spec_that_leaves_out_its_training_settings_trains_as_the_demo_does_with_the_default_kind()
    {
        var defaults = new TrainingSpec();
        var demo = ModelCatalog.Find(new ModelSpec().Kind)!.SuggestedTraining;

        Assert.Equal(
            (demo.LocalEpochs, demo.BatchSize, demo.LearningRate, demo.Momentum),
            (defaults.LocalEpochs, defaults.BatchSize, defaults.LearningRate, defaults.Momentum));
    }

    [Theory]
    [MemberData(nameof(UnknownKinds))]
    public void A_kind_outside_the_catalogue_is_refused_naming_exactly_the_catalogue_kinds(string kind)
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Model = new ModelSpec { Kind = kind } };

        var error = Assert.Single(ProjectSpecValidator.Validate(spec));

        Assert.Equal("model.kind", error.Field);
        Assert.Equal($"must be one of {string.Join(", ", ModelCatalog.Names)}, onnx (got '{kind}')", error.Message);
    }

    [Fact]
    public void An_onnx_model_names_its_upload_and_is_trained_by_registered_learners_only()
    {
        var registered = Specs.Simulated(devices: 2, rounds: 1) with { Model = new ModelSpec { Kind = "ONNX", ModelId = "m-1" }, Simulation = null };
        var withoutId = registered with { Model = new ModelSpec { Kind = "onnx" } };
        var simulated = registered with { Simulation = new SimulationSpec { Devices = 2 } };
        var idOnBuiltIn = registered with { Model = new ModelSpec { Kind = "softmax", ModelId = "m-1" } };

        Assert.Empty(ProjectSpecValidator.Validate(registered));
        Assert.Equal(new ModelSpec { Kind = "onnx", ModelId = "m-1" }, ProjectSpecValidator.Normalize(registered).Model);
        Assert.Equal(["model.modelId"], ProjectSpecValidator.Validate(withoutId).Select(e => e.Field));
        Assert.Equal(["simulation"], ProjectSpecValidator.Validate(simulated).Select(e => e.Field));
        Assert.Equal(["model.modelId"], ProjectSpecValidator.Validate(idOnBuiltIn).Select(e => e.Field));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_model_too_large_for_the_limit_is_refused_by_its_count_before_it_exists(string kind)
    {
        // The largest sizes within the validator's bounds that the kind builds: a kind that reads
        // only 28×28 images (cnn) has MNIST's inputs and grows by its dense layers.
        var model = ModelCatalog.Find(kind)!;
        var size = new ModelSize(HugeInputs, ProjectSpecValidator.MaxClasses, ProjectSpecValidator.MaxHiddenUnits);
        if (!Builds(model, size))
        {
            size = size with { Inputs = Mnist.FeatureCount };
        }

        var spec = Specs.Simulated(devices: 2, rounds: 1) with
        {
            DataTag = "sensors",
            Model = new ModelSpec { Kind = kind, Inputs = size.Inputs, Classes = size.Classes, HiddenUnits = size.HiddenUnits },
            Simulation = null,
        };
        var count = model.CountParameters(size);

        var error = Assert.Single(ProjectSpecValidator.Validate(spec));

        Assert.Equal("model", error.Field);
        Assert.StartsWith($"has {count} parameters; the limit is ", error.Message);
    }

    [Theory]
    [InlineData("sensors", 20)]
    [InlineData("sensors", 3136)] // a 56×56 image: the cnn reads 28×28 only
    [InlineData("synthetic", null)]
    public void A_cnn_of_other_inputs_than_one_28x28_image_is_refused_saying_so(string dataTag, int? inputs)
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with
        {
            DataTag = dataTag,
            Model = new ModelSpec { Kind = "cnn", Inputs = inputs, Classes = inputs is null ? null : 3 },
            Simulation = null,
        };
        var got = inputs ?? SyntheticClusters.FeatureCount;

        var error = Assert.Single(ProjectSpecValidator.Validate(spec));

        Assert.Equal("model", error.Field);
        Assert.Equal($"a cnn reads 28×28 single-channel images, 784 inputs (got {got})", error.Message);
    }

    private static bool Builds(IModelKind kind, ModelSize size)
    {
        try
        {
            kind.CountParameters(size);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
