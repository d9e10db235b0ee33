using FLOps.Learning.Data;
using FLOps.Learning.Models;

namespace FLOps.Learning.Training;

/// <summary>Seeded mini-batch SGD for the architectures of <see cref="ModelArchitecture"/>.</summary>
public static class LocalTrainer
{
    /// <summary>Trains <paramref name="parameters"/> in place on <paramref name="data"/>.</summary>
    public static TrainingReport Train(
        ModelArchitecture architecture,
        float[] parameters,
        Dataset data,
        TrainingOptions options,
        CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
