using BenchmarkDotNet.Attributes;
using FLOps.Abstractions.Devices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace FLOps.Benchmarks;

/// <summary>One <see cref="DeviceUpdate"/> through the Orleans serializer, as it crosses silos.</summary>
[MemoryDiagnoser]
public class SerializationBenchmarks : IDisposable
{
    private ServiceProvider? _services;
    private Serializer<DeviceUpdate> _serializer = null!;
    private DeviceUpdate _update = new();
    private byte[] _wire = [];

    [Params(1_000_000)]
    public int Parameters { get; set; } = 1_000_000;

    /// <summary>Bytes of the serialized update.</summary>
    public int WireBytes => _wire.Length;

    public DeviceUpdate Update => _update;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(DeviceUpdate).Assembly))
            .BuildServiceProvider();
        _serializer = _services.GetRequiredService<Serializer<DeviceUpdate>>();
        var random = new Random(42);
        var parameters = new float[Parameters];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (random.NextSingle() * 2f) - 1f;
        }

        _update = new DeviceUpdate
        {
            DeviceId = "device-0042",
            Round = 7,
            Parameters = new Immutable<float[]>(parameters),
            SampleCount = 800,
            TrainingLoss = 0.31,
            TrainingSeconds = 0.42,
        };
        _wire = _serializer.SerializeToArray(_update);
        Console.WriteLine($"// DeviceUpdate of {Parameters:N0} parameters: {_wire.Length:N0} bytes on the wire ({(double)_wire.Length / (Parameters * sizeof(float)):F4} × the raw floats)");
    }

    [Benchmark]
    public byte[] Serialize() => _serializer.SerializeToArray(_update);

    [Benchmark]
    public DeviceUpdate Deserialize() => _serializer.Deserialize(_wire) ?? throw new InvalidOperationException("The update deserialized to null.");

    [GlobalCleanup]
    public void Dispose()
    {
        _services?.Dispose();
        _services = null;
        GC.SuppressFinalize(this);
    }
}
