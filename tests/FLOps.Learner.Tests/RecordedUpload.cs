namespace FLOps.Learner.Tests;

/// <summary>An update as the fake gateway received it: the query's fields, the device token and the body's length.</summary>
public sealed record RecordedUpload(string? Task, string? Model, string? Samples, string? Loss, string? Token, int BodyBytes);
