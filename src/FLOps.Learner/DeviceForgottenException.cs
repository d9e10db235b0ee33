namespace FLOps.Learner;

/// <summary>A device route answered 401: the gateway no longer knows this device, which must register again.</summary>
internal sealed class DeviceForgottenException() : Exception("the gateway no longer knows this device")
{
}
