using BenchmarkDotNet.Attributes;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Training;

namespace FLOps.Benchmarks;

/// <summary>One epoch of local SGD over the bundled MNIST training split, with the demo's settings.</summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private Dataset _data = null!;
    private ModelArchitecture _architecture = null!;
    private float[] _initial = [];
    private float[] _parameters = [];

    /// <summary>Every kind of the catalogue, at its default sizes for MNIST.</summary>
    [ParamsSource(nameof(Kinds))]
    public string Model { get; set; } = SoftmaxKind.Instance.Name;

    public static IEnumerable<string> Kinds => ModelCatalog.Names;

    /// <summary>Train on the first this many samples only (the smoke mode's tiny size); 0 for all.</summary>
    public int SampleLimit { get; set; }

    /// <summary>Samples one operation trains on.</summary>
    public int Samples => _data.Count;

    public Dataset Data => _data;

    public ModelArchitecture Architecture => _architecture;

    public float[] Parameters => _parameters;

    public static TrainingOptions Options { get; } = new(Epochs: 1, BatchSize: 16, LearningRate: 0.5f, Seed: 42);

    [GlobalSetup]
    public void Setup()
    {
        var train = Mnist.Load().Train;
        _data = SampleLimit > 0 && SampleLimit < train.Count ? train.Select([.. Enumerable.Range(0, SampleLimit)]) : train;
        _architecture = ModelCatalog.Architecture(Model, new ModelSize(Mnist.FeatureCount, Mnist.ClassCount));
        _initial = ModelInitializer.Create(_architecture, seed: 42);
        _parameters = (float[])_initial.Clone();
    }

    /// <summary>Every operation starts from the same initial model, so each measures the same epoch.</summary>
    [IterationSetup]
    public void ResetParameters() => _initial.AsSpan().CopyTo(_parameters);

    [Benchmark]
    public TrainingReport OneEpoch() => LocalTrainer.Train(_architecture, _parameters, _data, Options);
}
