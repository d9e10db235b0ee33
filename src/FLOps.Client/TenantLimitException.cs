namespace FLOps.Client;

/// <summary>The tenant is at one of its limits (projects, devices); the message says which.</summary>
public sealed class TenantLimitException : Exception
{
    public TenantLimitException(string message)
        : base(message)
    {
    }

    public TenantLimitException()
    {
    }

    public TenantLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
