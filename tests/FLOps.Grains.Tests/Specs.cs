using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Tests;

internal static class Specs
{
    /// <summary>The tenant the grain tests submit their projects as.</summary>
    public const string Tenant = "test";

    public static ProjectSpec Simulated(int devices, int rounds, int minFit = 2, string partition = "iid", int seed = 7) => new()
    {
        Name = "test",
        DataTag = "mnist",
        Model = new ModelSpec { Kind = "softmax" },
        Training = new TrainingSpec
        {
            Rounds = rounds,
            MinFitClients = minFit,
            MinAvailableClients = minFit,
            LearningRate = 0.1,
            RoundTimeoutSeconds = 60,
        },
        Simulation = new SimulationSpec { Devices = devices, Partition = partition, Seed = seed },
    };

    /// <summary>A simulated project whose devices abandon <paramref name="dropoutRate"/> of their tasks, with rounds that wait 3 s for them.</summary>
    public static ProjectSpec WithDropouts(int devices, int rounds, double dropoutRate, int seed)
    {
        var spec = Simulated(devices, rounds, seed: seed);
        return spec with
        {
            Training = spec.Training with { RoundTimeoutSeconds = 3 },
            Simulation = spec.Simulation! with { DropoutRate = dropoutRate },
        };
    }

    public static string NewId(string prefix = "p-") => prefix + Guid.NewGuid().ToString("N")[..10];
}
