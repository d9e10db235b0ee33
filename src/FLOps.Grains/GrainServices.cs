using FLOps.Abstractions.Limits;
using FLOps.Grains.Placement;
using FLOps.Grains.Services;
using FLOps.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FLOps.Grains;

public static class GrainServices
{
    /// <summary>The services FLOps grains depend on, in their embedded (single-process) form.</summary>
    public static IServiceCollection AddFlopsGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<FlopsGrainOptions>();
        services.AddOptions<FlopsLimits>();
        // A silo is a cloud silo unless AddFlopsEdgePlacement names its role.
        services.TryAddSingleton(SiloRole.CloudSilo);
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloInfoPublisher>();
        services.TryAddSingleton<IModelStore, InMemoryModelStore>();
        services.TryAddSingleton<IUpdateJournal, InMemoryUpdateJournal>();
        services.TryAddSingleton<ISimulatedDataCatalog, MnistDataCatalog>();
        services.TryAddSingleton<ILocalTrainingService, ThreadPoolTrainingService>();
        services.TryAddSingleton<HeldOutEvaluator>();
        return services;
    }
}
