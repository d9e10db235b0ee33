using FLOps.Abstractions.Rounds;
using Microsoft.AspNetCore.Http;

namespace FLOps.Gateway;

/// <summary>RFC 7807 answers for every kind of refusal the API gives.</summary>
public static class Problems
{
    public static IResult Unauthorized(string detail) => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    /// <summary>A limit of the tenant's (projects, devices): asking again will not help until something is freed.</summary>
    public static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "Limit reached", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Invalid request", detail);

    public static IResult Unprocessable(string detail) => Problem(StatusCodes.Status422UnprocessableEntity, "Unprocessable request", detail);

    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: "Invalid project spec", statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// A body whose fields do not fit its schema: a validation problem with one message per field
    /// under <c>errors</c>, keyed by the field's path in the body (as <see cref="Invalid"/> for a spec).
    /// </summary>
    public static IResult Malformed(string title, IReadOnlyList<KeyValuePair<string, string>> problems) => Results.ValidationProblem(
        problems.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key.Length == 0 ? "body" : g.Key, g => g.Select(p => p.Value).ToArray(), StringComparer.Ordinal),
        title: title,
        statusCode: StatusCodes.Status400BadRequest);

    /// <summary>A refused update: 422 when the update itself is malformed, 409 for timing or binding; <c>refusal</c> names the kind.</summary>
    public static IResult RefusedUpdate(UpdateRefusal refusal, string detail) => Results.Problem(
        detail: detail,
        statusCode: refusal == UpdateRefusal.Malformed ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status409Conflict,
        title: "Update refused",
        extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["refusal"] = RefusalName(refusal) });

    /// <summary>The refusal kind as the learner protocol names it (camelCase).</summary>
    public static string RefusalName(UpdateRefusal refusal) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(refusal.ToString());

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
