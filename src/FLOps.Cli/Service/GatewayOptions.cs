using System.CommandLine;
using FLOps.ServiceClient;
using FLOps.Tls;

namespace FLOps.Cli.Service;

/// <summary>The gateway a command talks to and how: a URL, an API key, and optionally a private CA for an https:// gateway.</summary>
public sealed record GatewayTarget(Uri Url, string ApiKey, string? AuthorityPath);

/// <summary>
/// <c>--gateway URL</c> (else <c>$FLOPS_GATEWAY</c>, else <see cref="DefaultGateway"/>),
/// <c>--api-key KEY</c> (else <c>$FLOPS_API_KEY</c>) and <c>--ca FILE</c>: every command that
/// talks to a gateway (<c>flops learner</c>, <c>submit</c>, <c>projects</c>) takes them.
/// </summary>
public sealed class GatewayOptions
{
    public const string DefaultGateway = "http://127.0.0.1:5080";
    public const string GatewayVariable = "FLOPS_GATEWAY";
    public const string ApiKeyVariable = "FLOPS_API_KEY";

    public Option<string?> Gateway { get; } = new("--gateway") { HelpName = "URL", Description = $"URL of the FLOps gateway (default: ${GatewayVariable}, else {DefaultGateway})" };

    public Option<string?> ApiKey { get; } = new("--api-key") { HelpName = "KEY", Description = $"API key (default: ${ApiKeyVariable})" };

    public Option<string?> Authority { get; } = new("--ca")
    {
        HelpName = "FILE",
        Description = "PEM file of the private CA that signed an https:// gateway's certificate (flops certs create); trusted instead of the machine's CAs",
    };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Gateway);
        command.Options.Add(ApiKey);
        command.Options.Add(Authority);
    }

    /// <summary>The gateway asked for; a missing key, a URL that is not http(s) or a CA for a plain http:// gateway is a <see cref="UsageException"/>.</summary>
    public GatewayTarget Resolve(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException($"--api-key (or {ApiKeyVariable}) is required");
        }

        var url = parse.GetValue(Gateway) ?? (Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultGateway);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var gateway) || gateway.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--gateway: '{url}' is not an http(s) URL");
        }

        // A CA for a plain http:// gateway would protect nothing, which its user would not expect.
        var authority = parse.GetValue(Authority);
        if (authority is not null && gateway.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"--ca: only an https:// gateway is checked against a CA (got {gateway})");
        }

        return new GatewayTarget(gateway, key, authority);
    }

    /// <summary>Makes an HTTP client for <paramref name="target"/> with <paramref name="create"/>, turning an unusable CA file into a <see cref="UsageException"/>.</summary>
    public static T WithAuthority<T>(GatewayTarget target, Func<string?, T> create)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(create);
        try
        {
            return create(target.AuthorityPath);
        }
        catch (TlsConfigurationException e)
        {
            throw new UsageException($"--ca: {e.Message}");
        }
    }

    /// <summary>A user's client of the gateway asked for.</summary>
    public FlopsServiceClient Connect(ParseResult parse)
    {
        var target = Resolve(parse);
        return new FlopsServiceClient(new HttpClient(WithAuthority(target, FlopsServiceClient.CreateHandler), disposeHandler: true), target.Url, target.ApiKey);
    }
}
