using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using Orleans.Concurrency;

namespace FLOps.Abstractions.Devices;

/// <summary>
/// A learner next to its data, keyed by device id. A simulated device trains its shard of the
/// bundled data inside the silo; its raw data never leaves it, only parameter updates do.
/// </summary>
[Alias("flops.IDeviceGrain")]
public interface IDeviceGrain : IGrainWithStringKey
{
    [Alias("Configure")]
    Task Configure(DeviceProfile profile);

    [Alias("GetProfile")]
    Task<DeviceProfile?> GetProfile();

    /// <summary>
    /// Registers a real device (one that runs the learner agent) for its tenant. Registering an
    /// id again is refused. Its token is checked by the gateway, before any grain is called.
    /// </summary>
    [Alias("Register")]
    Task Register(DeviceProfile profile);

    /// <summary>
    /// Accepts a task and returns at once. A simulated device trains it and sends the update to
    /// the round; a registered device keeps it (one per project) until its learner agent fetches it.
    /// </summary>
    [Alias("AssignTask")]
    Task AssignTask(TrainingTask task);

    /// <summary>A registered device's oldest pending task, for its learner agent to fetch; <c>null</c> when there is none.</summary>
    [Alias("NextTask")]
    Task<TrainingTask?> NextTask();

    /// <summary>
    /// <see cref="NextTask"/> for a long poll: when the device holds no task, it tells
    /// <paramref name="observer"/> of the next one when it arrives (once), so that a waiting learner
    /// costs no calls while it waits. The device keeps the observer in memory only: if it is
    /// deactivated meanwhile, the observer hears nothing and its waiter's wait simply elapses.
    /// </summary>
    [Alias("WatchNextTask")]
    Task<TrainingTask?> WatchNextTask(IDeviceTaskObserver observer);

    /// <summary>The global model of one of the device's pending tasks (and only those); <c>null</c> for any other hash.</summary>
    [Alias("GetTaskModel")]
    Task<Immutable<float[]>?> GetTaskModel(string modelHash);

    /// <summary>
    /// The learner agent's update for the pending task it names (<see cref="DeviceUpdate.TaskId"/>,
    /// trained from <see cref="DeviceUpdate.BaseModelHash"/>), passed on to that task's round.
    /// </summary>
    [Alias("SubmitTrainedUpdate")]
    Task<UpdateReceipt> SubmitTrainedUpdate(DeviceUpdate update);

    /// <summary>The learner agent cannot take a pending task: it is dropped and its round leaves the device out at once. False if the device holds no such task.</summary>
    [Alias("DeclineTask")]
    Task<bool> DeclineTask(string taskId, string reason);
}

/// <summary>Who a device is and what data it holds.</summary>
[GenerateSerializer, Immutable, Alias("flops.DeviceProfile")]
public sealed record DeviceProfile
{
    [Id(0)] public string Name { get; init; } = "";

    [Id(1)] public IReadOnlyList<string> DataTags { get; init; } = [];

    /// <summary>Edge cluster the device belongs to (its data lives there).</summary>
    [Id(2)] public string Cluster { get; init; } = "default";

    [Id(3)] public int SampleCount { get; init; }

    /// <summary>For a simulated device: which shard of the bundled data it holds.</summary>
    [Id(4)] public SimulatedShard? Shard { get; init; }

    /// <summary>What a real device reported about itself at registration.</summary>
    [Id(5)] public DeviceCapabilities? Capabilities { get; init; }

    /// <summary>The tenant that registered the device; only its projects hand the device tasks.</summary>
    [Id(6)] public string Tenant { get; init; } = "";
}

[GenerateSerializer, Immutable, Alias("flops.DeviceCapabilities")]
public sealed record DeviceCapabilities(
    [property: Id(0)] int Cores,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] string Platform);

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/> under the partition scheme and seed.</summary>
[GenerateSerializer, Immutable, Alias("flops.SimulatedShard")]
public sealed record SimulatedShard(
    [property: Id(0)] string Dataset,
    [property: Id(1)] string Partition,
    [property: Id(2)] int Seed,
    [property: Id(3)] int Index,
    [property: Id(4)] int Count);

/// <summary>Train from <see cref="GlobalModel"/> and send the result to round <see cref="RoundKey"/>.</summary>
[GenerateSerializer, Immutable, Alias("flops.TrainingTask")]
public sealed record TrainingTask
{
    [Id(0)] public string RoundKey { get; init; } = "";

    [Id(1)] public int Round { get; init; }

    [Id(2)] public ModelRef GlobalModel { get; init; } = ModelRef.None;

    /// <summary>The architecture, with inputs and classes resolved.</summary>
    [Id(3)] public ModelSpec Model { get; init; } = new();

    [Id(5)] public int LocalEpochs { get; init; } = 1;

    [Id(6)] public int BatchSize { get; init; } = 32;

    [Id(7)] public double LearningRate { get; init; } = 0.1;

    /// <summary>FedProx proximal weight; 0 for plain local SGD.</summary>
    [Id(8)] public double ProximalMu { get; init; }

    [Id(9)] public int Seed { get; init; }

    /// <summary>Simulation only: the slowest simulated device waits this long before uploading.</summary>
    [Id(10)] public double SimulatedLatencySeconds { get; init; }

    /// <summary>Simulation only: simulated devices with a shard index below this send poisoned updates.</summary>
    [Id(11)] public int ByzantineDevices { get; init; }

    /// <summary>Simulation only: <c>flip</c> or <c>noise</c> (see <see cref="Projects.SimulationSpec.ByzantineAttack"/>).</summary>
    [Id(12)] public string? ByzantineAttack { get; init; }

    [Id(13)] public string ProjectId { get; init; } = "";

    /// <summary>The project's tenant: a registered device of another tenant refuses the task.</summary>
    [Id(14)] public string Tenant { get; init; } = "";

    /// <summary>The largest sample count an update for this task may claim.</summary>
    [Id(15)] public long MaxSampleCount { get; init; } = 1_000_000_000;

    /// <summary>The tensors of the parameter vector, in its order: how a learner maps them onto its own model.</summary>
    [Id(16)] public IReadOnlyList<TensorShape> Layout { get; init; } = [];

    /// <summary>Momentum of local SGD (<see cref="Projects.TrainingSpec.Momentum"/>); 0 for plain SGD.</summary>
    [Id(17)] public double Momentum { get; init; }

    /// <summary>
    /// Simulation only: the project's simulated devices, so that a device that has never been
    /// configured builds its profile and cuts its shard from its own id when its first task comes.
    /// </summary>
    [Id(18)] public SimulatedFleet? Fleet { get; init; }

    /// <summary>A task is one round attempt's, so its round grain's key names it.</summary>
    public string TaskId => RoundKey;
}

/// <summary>
/// A device's trained parameters. The buffer is <see cref="Immutable{T}"/> so that, within a
/// silo, it travels by reference instead of being copied per hop.
/// </summary>
[GenerateSerializer, Immutable, Alias("flops.DeviceUpdate")]
public sealed record DeviceUpdate
{
    [Id(0)] public string DeviceId { get; init; } = "";

    [Id(1)] public int Round { get; init; }

    [Id(2)] public Immutable<float[]> Parameters { get; init; }

    [Id(3)] public long SampleCount { get; init; }

    [Id(4)] public double TrainingLoss { get; init; }

    [Id(5)] public double TrainingSeconds { get; init; }

    /// <summary>The task the update answers (<see cref="TrainingTask.TaskId"/>).</summary>
    [Id(6)] public string TaskId { get; init; } = "";

    /// <summary>The hash of the model the update was trained from (<see cref="TrainingTask.GlobalModel"/>).</summary>
    [Id(7)] public string BaseModelHash { get; init; } = "";
}
