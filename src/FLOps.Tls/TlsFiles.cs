namespace FLOps.Tls;

/// <summary>The three PEM files a silo, gateway or client is given: its own certificate, its private key, and the cluster CA's certificate.</summary>
public sealed record TlsFiles(string CertificatePath, string KeyPath, string AuthorityPath);
