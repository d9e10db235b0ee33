using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Grains.Tests;

/// <summary>The spec validator knows the kinds of <see cref="ModelCatalog"/>, and only those.</summary>
public sealed class ModelKindValidationTests
{
    /// <summary>Within the bound on model.inputs, and a square (3000 × 3000) for kinds that read images.</summary>
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
        var spec = Specs.Simulated(devices: 2, rounds: 1) with
        {
            DataTag = "sensors",
            Model = new ModelSpec { Kind = kind, Inputs = HugeInputs, Classes = ProjectSpecValidator.MaxClasses },
            Simulation = null,
        };
        var count = ModelCatalog.Find(kind)!.CountParameters(new ModelSize(HugeInputs, ProjectSpecValidator.MaxClasses));

        var error = Assert.Single(ProjectSpecValidator.Validate(spec));

        Assert.Equal("model", error.Field);
        Assert.StartsWith($"has {count} parameters; the limit is ", error.Message);
    }
}
