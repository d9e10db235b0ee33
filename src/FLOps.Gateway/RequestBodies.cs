using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FLOps.Gateway;

/// <summary>Reads JSON bodies with a size limit and turns every kind of malformed input into a 4xx.</summary>
public static class RequestBodies
{
    public const int MaxJsonBytes = 1 << 20;

    public static async Task<(T? Value, IResult? Refusal)> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxJsonBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxJsonBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Problems.BadRequest("the request body is empty; send a JSON object"));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), GatewayJson.Options);
            return value is null ? (null, Problems.BadRequest("the request body is null; send a JSON object")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"malformed JSON: {e.Message}"));
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            return (null, Problems.BadRequest($"malformed JSON: {e.Message}"));
        }
    }

    private static IResult TooLarge() =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large", detail: $"the body exceeds {MaxJsonBytes} bytes");
}
