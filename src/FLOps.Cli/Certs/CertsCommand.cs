using System.CommandLine;
using System.CommandLine.Help;
using FLOps.Tls;

namespace FLOps.Cli.Certs;

/// <summary>
/// <c>flops certs create</c>: the private CA and per-host certificates for a cluster across
/// machines (mutual TLS between silos, HTTPS for the gateway). <c>flops certs</c> alone shows help.
/// </summary>
public static class CertsCommand
{
    private const int MaxDays = 3650;

    public static Command Create()
    {
        var command = new Command("certs", "Certificates for a cluster across machines: a private CA and one certificate per host (PEM)")
        {
            CreateCreate(),
        };
        command.SetAction(parse => new HelpAction().Invoke(parse));
        return command;
    }

    private static Command CreateCreate()
    {
        var output = new Option<string>("--out") { Description = "Directory to write into (made if missing); a ca.crt and ca.key already there sign the new hosts", Required = true };
        var hosts = new Option<string[]>("--host") { Description = "Host name or IP address that peers reach a host at (repeat for each host)", Required = true };
        var days = new Option<int>("--days") { Description = "Days the host certificates are valid", DefaultValueFactory = _ => (int)ClusterCertificates.DefaultValidity.TotalDays };
        var command = new Command("create", "Write DIR/ca.crt and DIR/ca.key (unless present), and DIR/HOST.crt and DIR/HOST.key for each --host") { output, hosts, days };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(output)!;
            var validity = parse.GetValue(days);
            if (validity is < 1 or > MaxDays)
            {
                throw new UsageException($"--days: must be between 1 and {MaxDays} (got {validity})");
            }

            var names = parse.GetValue(hosts)!;
            var authorityPath = Path.Combine(directory, ClusterCertificates.AuthorityCertificateFile);
            var reusesAuthority = File.Exists(authorityPath);
            IReadOnlyList<string> written;
            try
            {
                written = ClusterCertificates.Create(directory, names, TimeSpan.FromDays(validity));
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--host: {e.Message}");
            }
            catch (TlsConfigurationException e)
            {
                throw new UsageException($"--out: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new EnvironmentException($"cannot write the certificates to '{directory}': {e.Message}");
            }

            if (reusesAuthority)
            {
                Console.WriteLine($"signed by the existing CA {authorityPath}");
            }

            foreach (var path in written)
            {
                Console.WriteLine($"wrote {path}");
            }

            var host = names[0];
            Console.WriteLine($"on each host, e.g. {host}: --tls-cert {Path.Combine(directory, $"{host}.crt")} --tls-key {Path.Combine(directory, $"{host}.key")} --tls-ca {authorityPath} (ca.key stays off the hosts: it signs new members)");
            return ExitCodes.Success;
        });
        return command;
    }
}
