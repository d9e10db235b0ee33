namespace FLOps.Protocol;

public sealed record DeviceCapabilitiesView(int Cores, long MemoryBytes, string? Platform);
