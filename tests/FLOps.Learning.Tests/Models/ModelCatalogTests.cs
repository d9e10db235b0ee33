using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Tests.Models;

public sealed class ModelCatalogTests
{
    [Fact]
    public void The_catalogue_names_each_kind_once_in_lower_case_with_a_description()
    {
        Assert.Equal(ModelCatalog.Kinds.Select(kind => kind.Name), ModelCatalog.Names);
        Assert.Equal(ModelCatalog.Names.Count, ModelCatalog.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(ModelCatalog.Kinds, kind =>
        {
            Assert.Equal(kind.Name.ToLowerInvariant(), kind.Name);
            Assert.False(string.IsNullOrWhiteSpace(kind.Description));
        });
        Assert.Equal(string.Join(", ", ModelCatalog.Names), ModelCatalog.NameList);
    }

    [Fact]
    public void The_kinds_today_are_softmax_mlp_and_cnn()
    {
        Assert.Equal(["softmax", "mlp", "cnn"], ModelCatalog.Names);
        Assert.Equal("softmax, mlp, cnn", ModelCatalog.NameList);
    }

    [Fact]
    public void A_kind_is_found_by_its_name_in_any_case()
    {
        Assert.All(ModelCatalog.Kinds, kind =>
        {
            Assert.Same(kind, ModelCatalog.Find(kind.Name));
            Assert.Same(kind, ModelCatalog.Find(kind.Name.ToUpperInvariant()));
        });
    }

    [Theory]
    [InlineData("forest")]
    [InlineData("")]
    [InlineData(" softmax")]
    [InlineData(null)]
    public void A_name_outside_the_catalogue_finds_nothing_and_its_architecture_is_refused_naming_the_known_kinds(string? name)
    {
        Assert.Null(ModelCatalog.Find(name));
        Assert.False(ModelCatalog.TryFind(name, out _));

        var refused = Assert.Throws<ArgumentException>(() => ModelCatalog.Architecture(name, new ModelSize(4, 2)));

        Assert.Contains($"known: {ModelCatalog.NameList}.", refused.Message);
    }

    [Fact]
    public void Each_kind_reads_only_the_sizes_it_uses_and_fills_in_its_defaults()
    {
        Assert.Equal(new ModelSize(4, 2), SoftmaxKind.Instance.Normalize(new ModelSize(4, 2, HiddenUnits: 64)));
        Assert.Equal(new ModelSize(4, 2, MlpKind.DefaultHiddenUnits), MlpKind.Instance.Normalize(new ModelSize(4, 2)));
        Assert.Equal(new ModelSize(4, 2, 64), MlpKind.Instance.Normalize(new ModelSize(4, 2, 64)));
        Assert.Equal(new ModelSize(784, 2, CnnKind.DefaultHiddenUnits), CnnKind.Instance.Normalize(new ModelSize(784, 2)));
        Assert.Equal(SoftmaxKind.Architecture(4, 2), ModelCatalog.Architecture("SOFTMAX", new ModelSize(4, 2, 64)));
    }

    [Fact]
    public void Parameters_are_counted_in_64_bits_so_a_huge_spec_is_measured_not_overflowed()
    {
        var count = MlpKind.Instance.CountParameters(new ModelSize(1_000_000, 100_000, 100_000));

        Assert.Equal(110_000_200_000L, count);
        Assert.Throws<ArgumentException>(() => MlpKind.Architecture(1_000_000, 100_000, 100_000));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(4, 1)]
    public void An_architecture_needs_an_input_and_two_classes(int inputs, int classes)
    {
        Assert.All(ModelCatalog.Kinds, kind => Assert.Throws<ArgumentException>(() => new ModelArchitecture(kind, new ModelSize(inputs, classes))));
    }

    [Fact]
    public void An_mlp_without_hidden_units_is_refused_with_a_message_fit_for_a_spec_error()
    {
        var refused = Assert.Throws<ArgumentException>(() => MlpKind.Instance.CountParameters(new ModelSize(4, 2, 0)));

        Assert.Equal("an mlp needs at least one hidden unit (got 0)", refused.Message);
    }

    [Fact]
    public void Architectures_are_equal_when_kind_and_sizes_are()
    {
        Assert.Equal(MlpKind.Architecture(4, 2), new ModelArchitecture(MlpKind.Instance, new ModelSize(4, 2)));
        Assert.NotEqual(MlpKind.Architecture(4, 2), MlpKind.Architecture(4, 2, hiddenUnits: 3));
        Assert.NotEqual<ModelArchitecture>(SoftmaxKind.Architecture(4, 2), MlpKind.Architecture(4, 2));
        Assert.Equal("an mlp 4→128→2", MlpKind.Architecture(4, 2).ToString());
        Assert.Equal("a softmax 4→2", SoftmaxKind.Architecture(4, 2).ToString());
    }
}
