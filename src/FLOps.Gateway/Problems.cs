using Microsoft.AspNetCore.Http;

namespace FLOps.Gateway;

/// <summary>RFC 7807 answers for every kind of refusal the API gives.</summary>
public static class Problems
{
    public static IResult Unauthorized(string detail) => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Invalid request", detail);

    public static IResult Unprocessable(string detail) => Problem(StatusCodes.Status422UnprocessableEntity, "Unprocessable request", detail);

    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: "Invalid project spec", statusCode: StatusCodes.Status400BadRequest);

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
