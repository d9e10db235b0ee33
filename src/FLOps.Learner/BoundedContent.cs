using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.Learner;

/// <summary>
/// Reads the bodies of the gateway's answers without trusting their length: never more than a
/// known bound is read into memory, whatever the headers say and however long the sender goes on.
/// The responses must have been asked for with <see cref="HttpCompletionOption.ResponseHeadersRead"/>,
/// or the client would have buffered the whole body before these checks run.
/// </summary>
internal static class BoundedContent
{
    private const int ChunkBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads a JSON body of at most <paramref name="maxBytes"/> bytes; throws on more, on garbage and on <c>null</c>.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContent content, int maxBytes, string what, CancellationToken cancellationToken)
        where T : class
    {
        var bytes = await ReadAtMostAsync(content, maxBytes, what, cancellationToken);
        return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new GatewayAnswerException($"the {what} was empty (null)");
    }

    /// <summary>The <c>detail</c> (or <c>title</c>) of a problem+json body, or its first characters if it is not one.</summary>
    public static async Task<string> ReadProblemAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var bytes = await ReadAtMostAsync(content, maxBytes, "problem", cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(bytes);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in (ReadOnlySpan<string>)["detail", "title"])
                {
                    if (problem.RootElement.TryGetProperty(field, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return GatewayText.OneLine(text.GetString());
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not a problem document: show what it says instead.
        }

        return GatewayText.OneLine(System.Text.Encoding.UTF8.GetString(bytes));
    }

    /// <summary>
    /// Reads exactly <paramref name="parameterCount"/> little-endian float32 straight into the
    /// parameter array. Returns null and the reason when the body announces or holds another
    /// length: the reading stops at the first byte past the expected end, so an endless body
    /// costs no more than the model it pretends to be.
    /// </summary>
    public static async Task<(float[]? Parameters, string? Mismatch)> ReadParametersAsync(HttpContent content, int parameterCount, CancellationToken cancellationToken)
    {
        var expected = (long)parameterCount * sizeof(float);
        if (content.Headers.ContentLength is { } announced && announced != expected)
        {
            return (null, Invariant($"the model body announces {announced} bytes but {parameterCount} parameters take {expected}"));
        }

        var parameters = new float[parameterCount];
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            long received = 0;
            while (received < expected)
            {
                var wanted = (int)Math.Min(chunk.Length, expected - received);
                var read = await stream.ReadAsync(chunk.AsMemory(0, wanted), cancellationToken);
                if (read == 0)
                {
                    return (null, Invariant($"the model body ended after {received} of the {expected} bytes of {parameterCount} parameters"));
                }

                chunk.AsSpan(0, read).CopyTo(MemoryMarshal.AsBytes(parameters.AsSpan())[(int)received..]);
                received += read;
            }

            // One byte more is enough to know the sender lies; the rest is never read.
            if (await stream.ReadAsync(chunk.AsMemory(0, 1), cancellationToken) > 0)
            {
                return (null, Invariant($"the model body goes on past the {expected} bytes of {parameterCount} parameters"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return (parameters, null);
    }

    private static async Task<byte[]> ReadAtMostAsync(HttpContent content, int maxBytes, string what, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            throw new GatewayAnswerException(Invariant($"the {what} announces {content.Headers.ContentLength} bytes, more than the {maxBytes} a learner reads"));
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[maxBytes + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return buffer[..length];
            }

            length += read;
        }

        throw new GatewayAnswerException(Invariant($"the {what} is longer than the {maxBytes} bytes a learner reads"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
