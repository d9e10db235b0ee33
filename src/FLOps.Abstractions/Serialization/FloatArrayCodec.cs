using System.Runtime.InteropServices;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace FLOps.Abstractions.Serialization;

/// <summary>
/// Puts a <see cref="float"/> array on the wire as one length-prefixed block of its little-endian
/// bytes (one field header, the byte count as a varint, then 4 bytes per element), so that a
/// device update of D parameters costs 4·D bytes plus a few, instead of Orleans' generic array
/// codec's tagged field per element (5·D). It replaces that codec for every <c>float[]</c> the
/// silos exchange, <see cref="Orleans.Concurrency.Immutable{T}"/> of one included.
/// </summary>
[RegisterSerializer]
public sealed class FloatArrayCodec : IFieldCodec<float[]>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, float[]? value)
        where TBufferWriter : System.Buffers.IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        EnsureLittleEndian();
        var bytes = MemoryMarshal.AsBytes(value!.AsSpan());
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(float[]), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    public float[] ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<float[], TInput>(ref reader, field)!;
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        EnsureLittleEndian();
        var length = reader.ReadVarUInt32();
        if (length % sizeof(float) != 0)
        {
            throw new InvalidOperationException($"A float array block must hold a multiple of {sizeof(float)} bytes (got {length}).");
        }

        var result = new float[length / sizeof(float)];
        reader.ReadBytes(MemoryMarshal.AsBytes(result.AsSpan()));
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Parameter blocks are written in the little-endian byte order of the machine.");
        }
    }
}
