using System.Text.Json;
using FLOps.Abstractions.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FLOps.Gateway;

/// <summary>Reads request bodies with a size limit and turns every kind of malformed input into a 4xx.</summary>
public static class RequestBodies
{
    /// <summary>
    /// A JSON body of at most <see cref="FlopsLimits.MaxJsonBodyBytes"/>, of the shape of
    /// <typeparamref name="T"/>: a body that does not fit is a 400 titled <paramref name="title"/>
    /// with one message per field (<see cref="JsonShape"/>).
    /// </summary>
    public static async Task<(T? Value, IResult? Refusal)> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken, string title = "Invalid request body")
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var maxBytes = request.HttpContext.RequestServices.GetRequiredService<IOptions<FlopsLimits>>().Value.MaxJsonBodyBytes;
        var (buffer, tooLarge) = await ReadAsync(request, maxBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        using var _ = buffer;
        if (buffer!.Length == 0)
        {
            return (null, Problems.BadRequest("the request body is empty; send a JSON object"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"malformed JSON: {e.Message}"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind == JsonValueKind.Null)
            {
                return (null, Problems.BadRequest("the request body is null; send a JSON object"));
            }

            // The shape first, so that every field that does not fit is named in the body's own terms.
            var problems = JsonShape.Check(document.RootElement, GatewayJson.Options.GetTypeInfo(typeof(T)));
            if (problems.Count > 0)
            {
                return (null, Problems.Malformed(title, problems));
            }

            try
            {
                var value = document.RootElement.Deserialize<T>(GatewayJson.Options);
                return value is null ? (null, Problems.BadRequest("the request body is null; send a JSON object")) : (value, null);
            }
            catch (JsonException e)
            {
                return (null, Problems.Malformed(title, [new(JsonShape.FieldOf(e), "not a valid value here")]));
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
            {
                return (null, Problems.BadRequest("the request body is not valid here; see /openapi/v1.json for its schema"));
            }
        }
    }

    /// <summary>
    /// The whole body, or a 413 as soon as it passes <paramref name="maxBytes"/>: a client that
    /// claims a small body and streams an endless one is cut off at the limit.
    /// </summary>
    public static async Task<(MemoryStream? Body, IResult? TooLarge)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        var buffer = new MemoryStream(request.ContentLength is { } length ? (int)Math.Min(length, 1 << 30) : 16 * 1024);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                await buffer.DisposeAsync();
                return (null, TooLarge(maxBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer, null);
    }

    private static IResult TooLarge(long maxBytes) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large", detail: $"the body exceeds {maxBytes} bytes");
}
