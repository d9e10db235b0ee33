namespace FLOps.Learning.Aggregation;

/// <summary>One edge cluster's model after its inner rounds, and the samples behind it.</summary>
public sealed record ClusterModel(string Cluster, float[] Parameters, long SampleCount);

/// <summary>
/// The root step of hierarchical FL: the cloud's global model is the mean of the cluster models
/// weighted by their sample counts. Each cluster model is itself a sample-weighted mean, so with
/// one inner round per cycle this is FedAvg over every device of every cluster (accumulated in
/// double, as <see cref="WeightedMeanRound"/> does; the clusters are taken in name order).
/// </summary>
public static class ClusterAggregation
{
    public static float[] Combine(IReadOnlyCollection<ClusterModel> clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        if (clusters.Count == 0)
        {
            throw new ArgumentException("At least one cluster model is needed.", nameof(clusters));
        }

        var mean = new WeightedMeanRound(clusters.First().Parameters.Length);
        foreach (var cluster in clusters.OrderBy(c => c.Cluster, StringComparer.Ordinal))
        {
            mean.Add(cluster.Parameters, cluster.SampleCount);
        }

        return mean.Complete();
    }
}
