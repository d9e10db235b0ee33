using System.Security.Cryptography.X509Certificates;

namespace FLOps.Tls;

/// <summary>
/// Judges a certificate against one private CA and nothing else: not the machine's trust store
/// (a certificate from a public CA is no member of the cluster), and no revocation check (the
/// private CA publishes no revocation list; a host leaves the cluster with a new CA).
/// </summary>
internal static class AuthorityChain
{
    private const X509ChainStatusFlags NotFromAuthority =
        X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid;

    public static PeerVerdict Verify(X509Certificate? peer, X509Certificate2 authority)
    {
        if (peer is null)
        {
            return new PeerVerdict(false, "no certificate presented");
        }

        using var loaded = peer as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(peer.GetRawCertData()) : null;
        var certificate = loaded ?? (X509Certificate2)peer;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(certificate))
        {
            return new PeerVerdict(true, $"certificate '{certificate.Subject}' is signed by the cluster CA '{authority.Subject}'");
        }

        var problems = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status);
        return new PeerVerdict(false, Refusal(certificate, authority, problems, chain.ChainStatus));
    }

    private static string Refusal(X509Certificate2 certificate, X509Certificate2 authority, X509ChainStatusFlags problems, X509ChainStatus[] statuses)
    {
        var name = $"certificate '{certificate.Subject}'";
        if ((problems & NotFromAuthority) != 0)
        {
            return $"{name} is not signed by the cluster CA '{authority.Subject}'";
        }

        if (problems.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            var now = DateTime.Now;
            if (certificate.NotAfter < now)
            {
                return $"{name} expired on {Utc(certificate.NotAfter)}";
            }

            if (certificate.NotBefore > now)
            {
                return $"{name} is not valid before {Utc(certificate.NotBefore)}";
            }

            if (authority.NotAfter < now)
            {
                return $"the cluster CA '{authority.Subject}' expired on {Utc(authority.NotAfter)}";
            }
        }

        var details = string.Join("; ", statuses.Select(status => status.StatusInformation.Trim()).Where(text => text.Length > 0).Distinct());
        return $"{name} is refused: {(details.Length > 0 ? details : problems.ToString())}";
    }

    // X509Certificate2 gives local times; a reason read on another machine is clearer in UTC.
    private static string Utc(DateTime local) =>
        local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
