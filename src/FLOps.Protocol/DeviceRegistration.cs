namespace FLOps.Protocol;

/// <summary>The device's id and its secret token, shown once.</summary>
public sealed record DeviceRegistration(string Id, string Token);
