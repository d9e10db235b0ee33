using System.Globalization;
using FLOps.Gateway;
using FLOps.Hosting;
using FLOps.Hosting.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FLOps.Cli.Bench;

/// <summary>
/// What <c>flops bench learners</c> runs its learners against unless given <c>--gateway</c>: the
/// silo and gateway of <c>flops serve</c> (in memory) on free loopback ports, with one API key,
/// and every grain call counted.
/// </summary>
public sealed class BenchGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchGateway(WebApplication app, Uri url, string apiKey, GrainCallCounter calls)
    {
        _app = app;
        Url = url;
        ApiKey = apiKey;
        Calls = calls;
    }

    public Uri Url { get; }

    public string ApiKey { get; }

    public GrainCallCounter Calls { get; }

    public static async Task<BenchGateway> StartAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{EmbeddedSilo.FreeTcpPort()}"));
        var apiKey = "bench-" + Guid.NewGuid().ToString("N");
        var calls = new GrainCallCounter();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString());
        // Kestrel's defaults hold: no connection limit, and its keep-alive (130 s) outlasts the longest long poll (30 s).
        builder.Logging.ClearProviders();
        builder.Logging.AddFlopsConsole();
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleans(silo => silo.UseFlopsEmbedded(EmbeddedSilo.FreeTcpPort(), EmbeddedSilo.FreeTcpPort()));
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(calls);
        builder.AddFlopsGateway(ApiKeys.Parse($"bench:{apiKey}"));
        var app = builder.Build();
        app.MapFlopsGateway();
        await app.StartAsync(cancellationToken);
        return new BenchGateway(app, url, apiKey, calls);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
