using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests;

public class ClusterAggregationTests
{
    [Fact]
    public void Cluster_models_are_combined_weighted_by_their_sample_counts()
    {
        var combined = ClusterAggregation.Combine([new ClusterModel("a", [1, 2], 1), new ClusterModel("b", [3, 6], 3)]);

        Assert.Equal([2.5f, 5f], combined);
    }

    [Fact]
    public void The_weighted_mean_of_cluster_means_is_the_weighted_mean_over_every_device()
    {
        var random = new Random(3);
        var devices = Enumerable.Range(0, 10)
            .Select(i => (Cluster: i % 3, Parameters: Enumerable.Range(0, 50).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), Samples: (long)random.Next(1, 900)))
            .ToList();
        var flat = new WeightedMeanRound(50);
        devices.ForEach(d => flat.Add(d.Parameters, d.Samples));
        var clusters = devices.GroupBy(d => d.Cluster).Select(g =>
        {
            var mean = new WeightedMeanRound(50);
            foreach (var d in g)
            {
                mean.Add(d.Parameters, d.Samples);
            }

            return new ClusterModel($"c{g.Key}", mean.Complete(), g.Sum(d => d.Samples));
        }).ToList();

        var hierarchical = ClusterAggregation.Combine(clusters);

        Assert.All(flat.Complete().Zip(hierarchical), p => Assert.InRange(p.First - p.Second, -1e-6f, 1e-6f));
    }

    [Fact]
    public void No_cluster_model_is_refused() =>
        Assert.Throws<ArgumentException>(() => ClusterAggregation.Combine([]));
}
