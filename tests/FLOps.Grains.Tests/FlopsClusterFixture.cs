using System.Collections.Concurrent;
using FLOps.Abstractions.Models;
using FLOps.Grains.Services;
using FLOps.Hosting;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Training;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace FLOps.Grains.Tests;

/// <summary>An in-process Orleans test cluster with the FLOps grains, shared by the grain tests.</summary>
public sealed class FlopsClusterFixture : IAsyncLifetime
{
    /// <summary>Devices of projects whose id starts with this fail every training task.</summary>
    public const string FaultyDeviceMarker = "/sim-0001";
    public const string FaultyProjectPrefix = "faulty-";

    /// <summary>In projects whose id starts with this, round 2's first read from the model store fails.</summary>
    public const string StoreBlipProjectPrefix = "store-blip-";

    private static int _failingEvaluations;

    /// <summary>The next this many held-out evaluations fail (a round's close then fails half-way, as with its storage away).</summary>
    public static void FailNextEvaluations(int count) => Volatile.Write(ref _failingEvaluations, count);

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The services of the (single, in-process) silo, to look at what grains stored.</summary>
    public IServiceProvider SiloServices => ((InProcessSiloHandle)Cluster.Primary!).SiloHost.Services;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton<ILocalTrainingService, FaultInjectingTrainingService>();
            siloBuilder.Services.AddSingleton<IModelStore, FaultInjectingModelStore>();
            siloBuilder.AddFlopsInMemoryState();

            // Projects check on their rounds every 2 s here, so recovery tests need not wait a minute.
            siloBuilder.Services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            siloBuilder.Services.Configure<FlopsGrainOptions>(o => o.ProjectTick = TimeSpan.FromSeconds(2));
            siloBuilder.AddFlopsGrains();
        }
    }

    /// <summary>
    /// The in-memory store, except that in store-blip projects the first read that round 2 makes
    /// fails, once, as the first use of a pooled PostgreSQL connection fails after the server
    /// restarted (57P01 terminating connection due to administrator command).
    /// </summary>
    private sealed class FaultInjectingModelStore(IGrainContextAccessor grains) : IModelStore
    {
        private readonly InMemoryModelStore _real = new();
        private readonly ConcurrentDictionary<string, bool> _failed = new(StringComparer.Ordinal);

        public ValueTask<ModelRef> PutAsync(float[] parameters, CancellationToken cancellationToken = default) => _real.PutAsync(parameters, cancellationToken);

        public ValueTask<float[]> GetAsync(ModelRef model, CancellationToken cancellationToken = default) =>
            grains.GrainContext?.GrainId is { } caller
            && caller.Type.ToString() == "round"
            && caller.Key.ToString() is { } key
            && key.StartsWith(StoreBlipProjectPrefix, StringComparison.Ordinal)
            && key.EndsWith("/2", StringComparison.Ordinal)
            && _failed.TryAdd(key, true)
                ? ValueTask.FromException<float[]>(new IOException("simulated: 57P01 terminating connection due to administrator command"))
                : _real.GetAsync(model, cancellationToken);
    }

    /// <summary>Trains for real, except for the one device chosen to crash in faulty projects.</summary>
    private sealed class FaultInjectingTrainingService : ILocalTrainingService
    {
        private readonly ThreadPoolTrainingService _real = new();

        public Task<TrainingReport> TrainAsync(
            string deviceId, ModelArchitecture architecture, float[] parameters, Dataset data, TrainingOptions options, CancellationToken cancellationToken) =>
            deviceId.StartsWith(FaultyProjectPrefix, StringComparison.Ordinal) && deviceId.EndsWith(FaultyDeviceMarker, StringComparison.Ordinal)
                ? Task.FromException<TrainingReport>(new InvalidOperationException("simulated device crash"))
                : _real.TrainAsync(deviceId, architecture, parameters, data, options, cancellationToken);

        public Task<EvaluationResult> EvaluateAsync(ModelArchitecture architecture, float[] parameters, Dataset data, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref _failingEvaluations) >= 0
                ? Task.FromException<EvaluationResult>(new TimeoutException("simulated storage outage while closing"))
                : _real.EvaluateAsync(architecture, parameters, data, cancellationToken);
    }
}

[CollectionDefinition(Name)]
public sealed class FlopsClusterCollection : ICollectionFixture<FlopsClusterFixture>
{
    public const string Name = "FLOps cluster";
}
