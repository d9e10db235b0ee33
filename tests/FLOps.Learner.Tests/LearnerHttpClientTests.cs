using FLOps.Tls;

namespace FLOps.Learner.Tests;

public sealed class LearnerHttpClientTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flops-learner-ca-{Guid.NewGuid():N}");

    [Fact]
    public void A_handler_given_a_private_ca_trusts_it_and_keeps_the_limits_for_an_untrusted_gateway()
    {
        ClusterCertificates.Create(_directory, ["gateway"]);

        using var handler = LearnerHttpClient.CreateHandler(Path.Combine(_directory, ClusterCertificates.AuthorityCertificateFile));

        Assert.NotNull(handler.SslOptions.RemoteCertificateValidationCallback);
        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(0, handler.MaxResponseDrainSize);
    }

    [Fact]
    public void A_handler_without_a_ca_leaves_trust_to_the_machine()
    {
        using var handler = LearnerHttpClient.CreateHandler();

        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void A_missing_ca_file_is_named_before_any_request()
    {
        var missing = Path.Combine(_directory, "ca.crt");

        var refusal = Assert.Throws<TlsConfigurationException>(() => LearnerHttpClient.Create(missing));

        Assert.Contains(missing, refusal.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
