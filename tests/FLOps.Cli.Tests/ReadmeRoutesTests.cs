using System.Text.Json;
using FLOps.Cli.Tests.Docs;

namespace FLOps.Cli.Tests;

/// <summary>
/// Issue 19, item 4: every request the docs show (a <c>curl</c> line of a shell block, the first line
/// of an <c>http</c> block) is an operation the gateway's OpenAPI document has, method and path, so
/// that a route renamed or removed fails here before a newcomer finds it.
/// </summary>
public sealed class ReadmeRoutesTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private const string Gateway = "127.0.0.1:5080";

    /// <summary>Hosts of curl lines that are not the gateway, and why they are not checked here.</summary>
    private static readonly Dictionary<string, string> OtherServices = new(StringComparer.Ordinal)
    {
        ["127.0.0.1:9090"] = "Prometheus's own HTTP API, which infra/prometheus/up.sh starts",
    };

    /// <summary>Gateway paths outside the OpenAPI document, and why.</summary>
    private static readonly Dictionary<string, string> OutsideTheApi = new(StringComparer.Ordinal)
    {
        ["/metrics"] = "the Prometheus exposition, for operators rather than API clients (MetricsEndpointTests hold it)",
    };

    private static readonly string[] BodyOptions = ["-d", "--data", "--data-binary", "--data-raw", "-F"];

    [Fact]
    public async Task Every_request_of_the_docs_is_an_operation_of_the_gateways_openapi_document()
    {
        using var http = new HttpClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(serve.Url + "/openapi/v1.json")));
        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => (Method: method.Name.ToUpperInvariant(), Template: path.Name)))
            .ToList();
        var requests = CurlRequests().Concat(HttpBlockRequests()).ToList();

        var unknown = requests
            .Where(r => !(r.Host == Gateway && OutsideTheApi.ContainsKey(r.Path)))
            .Where(r => r.Host == Gateway ? !operations.Any(o => o.Method == r.Method && Fits(o.Template, r.Path)) : !OtherServices.ContainsKey(r.Host))
            .Select(r => $"{r.Where}\n    {r.Method} {r.Path} on {r.Host}: {(r.Host == Gateway ? "no such operation in /openapi/v1.json" : "a host this test does not know")}")
            .ToList();

        Assert.True(unknown.Count == 0, string.Join('\n', unknown));
        Assert.True(requests.Count >= 10, $"only {requests.Count} requests found in the docs: is the reader broken?");
        Assert.Contains(requests, r => r is { Method: "POST", Path: "/api/v1/models" });
        Assert.Contains(requests, r => r is { Method: "GET", Path: "/api/v1/devices/{id}/tasks/next" });
    }

    private static IEnumerable<Request> CurlRequests() =>
        from command in ShellBlocks.OfTheDocs
        where command.Program is ["curl", ..]
        let words = command.Program
        let url = words.Single(w => w.Contains("://", StringComparison.Ordinal))
        let method = words.Contains("-X") ? words[Array.IndexOf(words, "-X") + 1] : words.Intersect(BodyOptions).Any() ? "POST" : "GET"
        let authority = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..]
        let slash = authority.IndexOf('/', StringComparison.Ordinal)
        select new Request(command.Where, method, authority[..slash], PathOf(authority[slash..]));

    private static IEnumerable<Request> HttpBlockRequests() =>
        from file in Repository.MarkdownFiles()
        from block in CodeBlock.In(Path.GetRelativePath(Repository.Root, file), File.ReadAllText(file))
        where block.Language == "http"
        let first = block.Code.Split('\n')[0].Split(' ')
        select new Request($"{block.File}:{block.FirstLine}: {block.Code.Split('\n')[0]}", first[0], Gateway, PathOf(first[1]));

    private static string PathOf(string target) => target.Split('?')[0];

    /// <summary>A path fits a template when each segment is the template's or fills a <c>{parameter}</c>.</summary>
    private static bool Fits(string template, string path)
    {
        var expected = template.Split('/');
        var actual = path.Split('/');
        return expected.Length == actual.Length
            && expected.Zip(actual).All(s => s.First == s.Second || s.First.StartsWith('{'));
    }

    private sealed record Request(string Where, string Method, string Host, string Path);
}
