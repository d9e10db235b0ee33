namespace FLOps.Tls.Tests;

/// <summary>A fresh directory of cluster certificates made by <see cref="ClusterCertificates"/>, deleted after the test.</summary>
public sealed class CertificateDirectory : IDisposable
{
    private CertificateDirectory(string path) => Path = path;

    public string Path { get; }

    public string AuthorityPath => File(ClusterCertificates.AuthorityCertificateFile);

    public string AuthorityKeyPath => File(ClusterCertificates.AuthorityKeyFile);

    /// <summary>A CA of its own and a certificate for each host.</summary>
    public static CertificateDirectory Create(params string[] hosts)
    {
        var directory = Empty();
        ClusterCertificates.Create(directory.Path, hosts);
        return directory;
    }

    public static CertificateDirectory Empty() =>
        new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"flops-tls-tests-{Guid.NewGuid():N}"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public TlsFiles FilesOf(string host) => new(File($"{host}.crt"), File($"{host}.key"), AuthorityPath);

    public ClusterTls Load(string host) => ClusterTls.Load(FilesOf(host));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
