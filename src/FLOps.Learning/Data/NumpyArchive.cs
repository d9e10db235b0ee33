using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace FLOps.Learning.Data;

/// <summary>
/// Writes a dataset as a NumPy <c>.npz</c> archive, as <c>numpy.savez_compressed</c> would: a zip
/// of <c>.npy</c> files (format 1.0, little-endian, C order). <c>numpy.load(path)</c> gives
/// <c>x</c>, float32 of shape (samples, features) holding the features exactly as the service's
/// learners train on them (MNIST: pixels scaled to 0..1), and <c>y</c>, int64 of shape (samples,),
/// the labels.
/// </summary>
public static class NumpyArchive
{
    /// <summary>The magic string every <c>.npy</c> file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy pads the header so that the data starts on a multiple of this.</summary>
    public const int HeaderAlignment = 64;

    public static void Write(Dataset data, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(destination);
        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntry(zip, "x", "<f4", [data.Count, data.FeatureCount], MemoryMarshal.AsBytes(data.Features.AsSpan()));
        var labels = new long[data.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = data.Labels[i];
        }

        WriteEntry(zip, "y", "<i8", [data.Count], MemoryMarshal.AsBytes(labels.AsSpan()));
    }

    /// <summary>
    /// The header of a <c>.npy</c> file (format 1.0) for an array of <paramref name="descr"/>
    /// (such as <c>&lt;f4</c>) and <paramref name="shape"/>: magic, version, header length, and the
    /// dictionary padded with spaces and ended by a newline to a multiple of <see cref="HeaderAlignment"/>.
    /// </summary>
    public static byte[] Header(string descr, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(descr);
        ArgumentNullException.ThrowIfNull(shape);
        var dimensions = shape.Count == 1
            ? $"{shape[0].ToString(CultureInfo.InvariantCulture)},"
            : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var dictionary = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dimensions}), }}";
        var prefix = Magic.Length + 2 + 2;
        var total = (prefix + dictionary.Length + 1 + HeaderAlignment - 1) / HeaderAlignment * HeaderAlignment;
        var text = dictionary.PadRight(total - prefix - 1) + "\n";
        var header = new byte[total];
        Magic.CopyTo(header);
        header[Magic.Length] = 1;
        header[Magic.Length + 1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(Magic.Length + 2), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, header.AsSpan(prefix));
        return header;
    }

    private static void WriteEntry(ZipArchive zip, string name, string descr, int[] shape, ReadOnlySpan<byte> littleEndianData)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("NumpyArchive writes the machine's bytes as little-endian arrays");
        }

        using var entry = zip.CreateEntry(name + ".npy", CompressionLevel.Optimal).Open();
        entry.Write(Header(descr, shape));
        entry.Write(littleEndianData);
    }
}
