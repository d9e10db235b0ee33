using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>
/// <c>flops serve</c> in a process of its own as HTTP clients see it: two tenants (<c>a</c> with
/// <see cref="KeyOfA"/>, <c>b</c> with <see cref="KeyOfB"/>), an operator's metrics key, and a
/// way to kill it and start the same command again (with <c>--postgres</c>, on the same state).
/// </summary>
public sealed class ServeApi : IAsyncDisposable
{
    public const string KeyOfA = "keyA";
    public const string KeyOfB = "keyB";
    public const string OperatorKey = "operator-key";
    private const string ReadyLine = "flops serve: listening";

    private readonly string[] _args;
    private readonly Dictionary<string, string> _environment;

    private ServeApi(Uri url, string[] args, Dictionary<string, string> environment, CommandProcess process)
    {
        Url = url;
        _args = args;
        _environment = environment;
        Process = process;
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public Uri Url { get; }

    /// <summary>The current process (a new one after <see cref="KillAndRestartAsync"/>).</summary>
    public CommandProcess Process { get; private set; }

    /// <summary>Starts <c>flops serve --urls URL ARGS</c> with the two tenants' keys and the metrics key, plus <paramref name="environment"/>.</summary>
    public static async Task<ServeApi> StartAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] args)
    {
        var url = new Uri($"http://127.0.0.1:{CommandProcess.FreePort()}");
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["FLOPS_API_KEYS"] = $"a:{KeyOfA},b:{KeyOfB}",
            ["FLOPS_METRICS_KEYS"] = OperatorKey,
        };
        string[] command = ["serve", "--urls", url.GetLeftPart(UriPartial.Authority), .. args];
        return new ServeApi(url, command, variables, await CommandProcess.StartAsync(command, ReadyLine, environment: variables));
    }

    /// <summary>Ends the process as <c>kill -9</c> would and starts the same command again, on the same URL.</summary>
    public async Task KillAndRestartAsync()
    {
        Process.Kill();
        await Process.DisposeAsync();
        Process = await CommandProcess.StartAsync(_args, ReadyLine, environment: _environment);
    }

    /// <summary>The process's resident set (VmRSS) in bytes, as the kernel counts it.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Process.ProcessId}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>How many grains of <paramref name="grainType"/> (Orleans' short name, such as <c>devicedirectory</c>) were activated so far, from <c>/metrics</c>.</summary>
    public async Task<double> ActivationsCreated(HttpClient http, string grainType)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, "/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var label = $"grain_type=\"{grainType}\"";
        return (await response.Content.ReadAsStringAsync())
            .Split('\n')
            .Where(l => l.StartsWith("orleans_catalog_activation_created_total{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Submits <paramref name="spec"/> and returns the new project's id; the answer must be 201.</summary>
    public static async Task<string> Submit(HttpClient tenant, object spec)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        using var created = await tenant.PostAsJsonAsync("/api/v1/projects", spec);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == global::System.Net.HttpStatusCode.Created, $"{(int)created.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The project as its tenant sees it.</summary>
    public static async Task<JsonElement> Project(HttpClient tenant, string id)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return JsonDocument.Parse(await tenant.GetStringAsync(new Uri($"/api/v1/projects/{id}", UriKind.Relative))).RootElement;
    }

    /// <summary>
    /// Polls the project until it is in <paramref name="state"/>, failing as soon as it ends in
    /// another; rides out the seconds in which the process is not listening (a restart).
    /// </summary>
    public static async Task<JsonElement> WaitForState(HttpClient tenant, string id, string state, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(2));
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var project = await Project(tenant, id);
                last = project.ToString();
                var now = project.GetProperty("state").GetString();
                if (now == state)
                {
                    return project;
                }

                Assert.False(now is "Completed" or "Failed" or "Cancelled", $"project {id} ended {now}, not {state}: {last}");
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                // Not listening yet: the process is starting again.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"project {id} was not {state} within {limit}: {last}");
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();
}
