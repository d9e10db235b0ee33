using FLOps.Learning.Partitioning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FLOps.Learning.Tests;

public class PartitionerTests
{
    private static readonly byte[] Labels = SyntheticData.BalancedLabels(classes: 10, perClass: 80);

    public static TheoryData<string> Schemes => ["iid", "dirichlet:0.1", "dirichlet:0.5", "dirichlet:100"];

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Parts_are_disjoint_and_together_cover_every_sample(string scheme)
    {
        var parts = PartitionScheme.Parse(scheme).Partition(Labels, 10, partCount: 7, seed: 3);

        Assert.Equal(7, parts.Count);
        var all = parts.SelectMany(p => p).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, Labels.Length), all);
    }

    [Property(MaxTest = 50)]
    public Property Any_scheme_seed_and_part_count_gives_a_disjoint_complete_split_with_no_empty_part()
    {
        var cases =
            from scheme in Gen.Elements("iid", "dirichlet:0.05", "dirichlet:1", "dirichlet:50")
            from size in Gen.Choose(1, 300)
            from parts in Gen.Choose(1, size)
            from classes in Gen.Choose(1, 12)
            from seed in ArbMap.Default.GeneratorFor<int>()
            select (scheme, size, parts, classes, seed);

        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var labels = Enumerable.Range(0, c.size).Select(i => (byte)((i * 7) % c.classes)).ToArray();
            var split = PartitionScheme.Parse(c.scheme).Partition(labels, c.classes, c.parts, c.seed);
            var all = split.SelectMany(p => p).Order();
            return split.Count == c.parts
                && all.SequenceEqual(Enumerable.Range(0, c.size))
                && split.All(p => p.Length > 0);
        });
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void The_same_seed_gives_the_same_split_and_another_seed_a_different_one(string scheme)
    {
        var partitioner = PartitionScheme.Parse(scheme);

        var first = partitioner.Partition(Labels, 10, 5, seed: 42);
        var again = PartitionScheme.Parse(scheme).Partition(Labels, 10, 5, seed: 42);
        var other = partitioner.Partition(Labels, 10, 5, seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Iid_parts_differ_in_size_by_at_most_one()
    {
        var parts = new IidPartitioner().Partition(Labels, 10, partCount: 7, seed: 1);

        Assert.InRange(parts.Max(p => p.Length) - parts.Min(p => p.Length), 0, 1);
    }

    [Fact]
    public void Smaller_alpha_skews_each_parts_label_mix_towards_fewer_classes()
    {
        static double MeanMaxClassShare(double alpha)
        {
            var parts = new DirichletPartitioner(alpha).Partition(Labels, 10, partCount: 10, seed: 5);
            return parts.Average(part => part.GroupBy(i => Labels[i]).Max(g => g.Count()) / (double)part.Length);
        }

        var skewed = MeanMaxClassShare(0.1);
        var mixed = MeanMaxClassShare(10);

        Assert.True(skewed > mixed + 0.2, $"alpha 0.1 → {skewed}, alpha 10 → {mixed}");
        Assert.InRange(mixed, 0.1, 0.35); // near the IID share of 1/10
    }

    [Fact]
    public void Every_dirichlet_part_gets_the_minimum_size_even_when_alpha_is_tiny()
    {
        var parts = new DirichletPartitioner(0.01).Partition(Labels, 10, partCount: 20, seed: 9);

        Assert.All(parts, p => Assert.True(p.Length >= DirichletPartitioner.MinPartSize, $"part of {p.Length}"));
    }

    [Theory]
    [InlineData("iid", typeof(IidPartitioner))]
    [InlineData("IID", typeof(IidPartitioner))]
    [InlineData(" Dirichlet:0.5 ", typeof(DirichletPartitioner))]
    [InlineData("dirichlet:1e-2", typeof(DirichletPartitioner))]
    public void Accepted_schemes_parse_case_insensitively(string text, Type expected) =>
        Assert.IsType(expected, PartitionScheme.Parse(text));

    [Theory]
    [InlineData("iid", "iid")]
    [InlineData("DIRICHLET:0.50", "dirichlet:0.5")]
    [InlineData("dirichlet:10", "dirichlet:10")]
    public void Formatting_gives_back_the_canonical_text(string text, string canonical)
    {
        var partitioner = PartitionScheme.Parse(text);

        Assert.Equal(canonical, PartitionScheme.Format(partitioner));
        Assert.Equal(canonical, PartitionScheme.Format(PartitionScheme.Parse(canonical)));
    }

    [Theory]
    [InlineData("dirichlet:0")]
    [InlineData("dirichlet:-1")]
    [InlineData("dirichlet:abc")]
    [InlineData("dirichlet:")]
    [InlineData("dirichlet:NaN")]
    [InlineData("dirichlet:Infinity")]
    [InlineData("dirichlet")]
    [InlineData("foo")]
    [InlineData("")]
    public void Bad_schemes_are_rejected_with_a_reason_naming_the_accepted_forms(string text)
    {
        var error = Assert.Throws<FormatException>(() => PartitionScheme.Parse(text));

        Assert.Contains("'iid' or 'dirichlet:ALPHA'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(PartitionScheme.TryParse(text, out _));
    }

    [Fact]
    public void Impossible_requests_are_rejected()
    {
        var partitioner = new IidPartitioner();

        Assert.Throws<ArgumentException>(() => partitioner.Partition(Labels, 10, partCount: 0, seed: 1));
        Assert.Throws<ArgumentException>(() => partitioner.Partition(new byte[3], 10, partCount: 4, seed: 1));
        Assert.Throws<ArgumentException>(() => partitioner.Partition(new byte[] { 0, 5 }, 2, partCount: 1, seed: 1));
        Assert.Throws<ArgumentException>(() => new DirichletPartitioner(0));
        Assert.Throws<ArgumentException>(() => new DirichletPartitioner(double.PositiveInfinity));
    }
}
