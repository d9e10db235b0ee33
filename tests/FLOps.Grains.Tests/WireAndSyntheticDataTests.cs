using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Learning.Data;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace FLOps.Grains.Tests;

public sealed class WireAndSyntheticDataTests
{
    private static Serializer NewSerializer() =>
        new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(DeviceUpdate).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void Float_arrays_travel_as_one_block_bit_for_bit()
    {
        var serializer = NewSerializer();
        float[] parameters = [1.5f, -0f, float.Epsilon, float.MaxValue, BitConverter.Int32BitsToSingle(0x7fc00001)];
        var update = new DeviceUpdate { DeviceId = "d", Round = 3, Parameters = new Immutable<float[]>(parameters), SampleCount = 8 };

        var wire = serializer.SerializeToArray(update);
        var back = serializer.Deserialize<DeviceUpdate>(wire)!;

        Assert.Equal(
            Array.ConvertAll(parameters, BitConverter.SingleToInt32Bits),
            Array.ConvertAll(back.Parameters.Value, BitConverter.SingleToInt32Bits));
        Assert.InRange(wire.Length, parameters.Length * sizeof(float), (parameters.Length * sizeof(float)) + 40);
    }

    [Fact]
    public void Empty_null_and_shared_float_arrays_round_trip()
    {
        var serializer = NewSerializer();
        var shared = new float[] { 1, 2, 3 };
        var back = serializer.Deserialize<float[]?[]>(serializer.SerializeToArray<float[]?[]>([[], null, shared, shared]))!;

        Assert.Empty(back[0]!);
        Assert.Null(back[1]);
        Assert.Equal(shared, back[2]);
        Assert.Same(back[2], back[3]);
    }

    [Fact]
    public void Synthetic_shards_are_seeded_small_and_accepted_for_any_number_of_devices()
    {
        var a = SyntheticClusters.Shard("iid", 42, 9_999);
        var b = SyntheticClusters.Shard("iid", 42, 9_999);
        Assert.Equal(SyntheticClusters.SamplesPerDevice, a.Count);
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Features, SyntheticClusters.Shard("iid", 43, 9_999).Features);
        Assert.Equal(SyntheticClusters.SamplesPerDevice, SyntheticClusters.Shard("dirichlet:0.1", 42, 5).Count);

        var spec = Specs.Simulated(devices: 10_000, rounds: 1) with { DataTag = "synthetic" };
        Assert.Empty(ProjectSpecValidator.Validate(spec));
        var model = ProjectSpecValidator.Normalize(spec).Model;
        Assert.Equal((SyntheticClusters.FeatureCount, SyntheticClusters.ClassCount), (model.Inputs, model.Classes));
        Assert.Same(SyntheticClusters.EvaluationSet, new MnistDataCatalog().GetEvaluationSet("synthetic"));
        Assert.Equal(a.Features, new MnistDataCatalog().GetShard(new SimulatedShard("synthetic", "iid", 42, 9_999, 10_000)).Features);
    }
}
