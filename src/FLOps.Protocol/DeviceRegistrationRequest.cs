namespace FLOps.Protocol;

/// <summary>What a device says about itself when it registers (<c>POST /api/v1/devices</c>).</summary>
public sealed record DeviceRegistrationRequest(string? Name, string[]? DataTags, string? Cluster, int SampleCount, DeviceCapabilitiesView? Capabilities = null);
