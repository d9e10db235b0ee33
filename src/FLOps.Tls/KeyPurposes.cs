namespace FLOps.Tls;

/// <summary>The extended key usages a host certificate carries: every host is a TLS server and a TLS client.</summary>
internal static class KeyPurposes
{
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
}
