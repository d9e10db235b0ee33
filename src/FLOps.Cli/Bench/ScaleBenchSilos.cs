using FLOps.Abstractions.Limits;
using FLOps.Grains.Services;
using FLOps.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FLOps.Cli.Bench;

/// <summary>
/// The silos of <c>flops bench scale</c>: K cloud silos in this process (<see cref="EmbeddedCluster.StartCloudAsync"/>),
/// each counting the grain calls it receives, all training through one measured service.
/// </summary>
internal sealed class ScaleBenchSilos(EmbeddedCluster cluster, List<GrainCallCounter> calls, MeasuredTrainingService training) : IAsyncDisposable
{
    public IGrainFactory Grains => cluster.Grains;

    /// <summary>The grain calls each silo received, in the order the silos started.</summary>
    public IReadOnlyList<GrainCallCounter> Calls => calls;

    public MeasuredTrainingService Training => training;

    public static async Task<ScaleBenchSilos> StartAsync(int count, int maxDevicesPerTenant, bool verbose, CancellationToken cancellationToken)
    {
        var calls = Enumerable.Range(0, count).Select(_ => new GrainCallCounter()).ToList();
        var training = new MeasuredTrainingService();
        var cluster = await EmbeddedCluster.StartCloudAsync(
            count,
            new EmbeddedSiloOptions { MinimumLogLevel = verbose ? LogLevel.Information : LogLevel.Warning },
            (index, services) =>
            {
                services.AddSingleton<IIncomingGrainCallFilter>(calls[index]);
                services.AddSingleton<ILocalTrainingService>(training);
                services.Configure<FlopsLimits>(limits => limits.MaxDevicesPerTenant = Math.Max(limits.MaxDevicesPerTenant, maxDevicesPerTenant));
            },
            cancellationToken);
        return new ScaleBenchSilos(cluster, calls, training);
    }

    /// <summary>Grain activations of a grain class per silo, in the order the silos started (0 for a silo without any).</summary>
    public async Task<IReadOnlyList<int>> ActivationsPerSilo(Type grainClass)
    {
        ArgumentNullException.ThrowIfNull(grainClass);

        // Statistics name a grain class with its assembly: "Namespace.Class,Assembly".
        var name = grainClass.FullName + ",";
        var statistics = await Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var addresses = cluster.Hosts.Select(h => h.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress).ToList();
        return [.. addresses.Select(a => statistics.Where(s => s.SiloAddress.Equals(a) && s.GrainType.StartsWith(name, StringComparison.Ordinal)).Sum(s => s.ActivationCount))];
    }

    public ValueTask DisposeAsync() => cluster.DisposeAsync();
}
