namespace FLOps.Learner;

/// <summary>
/// The gateway refused to register this device (wrong API key, invalid name or tags): retrying
/// cannot help, so the agent stops and says why.
/// </summary>
public sealed class RegistrationRefusedException : Exception
{
    public RegistrationRefusedException()
    {
    }

    public RegistrationRefusedException(string message)
        : base(message)
    {
    }

    public RegistrationRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
