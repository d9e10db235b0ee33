using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;

namespace FLOps.Hosting.Resilience;

public static class ResilientStorageHosting
{
    /// <summary>
    /// Wraps the grain storage registered under <paramref name="providerName"/> in a
    /// <see cref="ResilientGrainStorage"/>: the provider's own registration stays, only the service
    /// that grains and the silo lifecycle resolve is the wrapper.
    /// </summary>
    public static ISiloBuilder WrapGrainStorageWithRetries(this ISiloBuilder silo, string providerName)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        var registration = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, providerName))
            ?? throw new InvalidOperationException($"No grain storage named '{providerName}' is registered yet.");
        var createInner = registration.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"Grain storage '{providerName}' is not registered through a factory.");
        services.Remove(registration);
        services.AddKeyedSingleton<IGrainStorage>(providerName, (provider, key) => new ResilientGrainStorage(
            (IGrainStorage)createInner(provider, key),
            provider.GetRequiredService<IGrainContextAccessor>(),
            provider.GetRequiredService<ILogger<ResilientGrainStorage>>()));
        return silo;
    }

    /// <summary>
    /// Npgsql's exceptions cross grain boundaries with their message (Orleans serializes
    /// exceptions of listed namespaces; an unlisted one arrives as "could not find a codec").
    /// </summary>
    public static IServiceCollection AddStorageExceptionSerialization(this IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
}
