namespace FLOps.Tls;

/// <summary>A TLS file that cannot be used, with a one-line message naming the file and what is wrong with it.</summary>
public sealed class TlsConfigurationException : Exception
{
    public TlsConfigurationException()
        : this("the TLS configuration cannot be used")
    {
    }

    public TlsConfigurationException(string message)
        : base(message)
    {
    }

    public TlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
