using System.Net;
using System.Text.Json;
using FLOps.Protocol;

namespace FLOps.ServiceClient;

/// <summary>
/// An error answer of the gateway in one line: the <c>detail</c> (or <c>title</c>) of its problem
/// details, followed by every <c>field: message</c> of a validation problem's <c>errors</c>; a body
/// that is no problem document is quoted instead. Control characters become spaces and the
/// line is cut at <see cref="MaxLength"/> (<see cref="GatewayText.OneLine"/>), so a gateway cannot forge further lines.
/// </summary>
public static class ProblemText
{
    public const int MaxLength = 1000;

    public static string Summarize(HttpStatusCode status, string? body)
    {
        var summary = Read(body) ?? (string.IsNullOrWhiteSpace(body) ? null : body.Trim());
        return GatewayText.OneLine(summary ?? $"HTTP {(int)status} {status}", MaxLength);
    }

    private static string? Read(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var summary = Text(root, "detail") ?? Text(root, "title");
            var errors = new List<string>();
            if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in fields.EnumerateObject())
                {
                    var messages = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString() : m.GetRawText())
                        : [field.Value.ToString()];
                    errors.AddRange(messages.Select(m => string.IsNullOrEmpty(field.Name) ? m! : $"{field.Name}: {m}"));
                }
            }

            return errors.Count == 0 ? summary : $"{summary ?? "invalid request"}: {string.Join("; ", errors)}";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
