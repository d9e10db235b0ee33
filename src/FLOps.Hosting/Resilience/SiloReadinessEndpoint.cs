using System.Net;
using System.Text;
using FLOps.Clustering;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FLOps.Hosting.Resilience;

/// <summary>
/// <c>/readyz</c> of a durable silo, on its metrics port beside <c>/metrics</c> (the HTTP listener
/// shares the port by path): 200 <c>ready</c>, or 503 <c>degraded: database unreachable</c> while
/// the cluster's database does not answer. Grains wait and retry meanwhile; the silo is not down.
/// </summary>
public sealed class SiloReadinessEndpoint(string host, int port, DatabaseProbe database, ILogger<SiloReadinessEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://{host}:{port}/readyz/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            logger.LogWarning("No /readyz on port {Port}: {Error}", port, e.Message);
            return;
        }

        await using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }

            var problem = await database.ProblemAsync(stoppingToken);
            var body = problem is null ? """{"status":"ready"}""" : $$"""{"status":"degraded","detail":{{System.Text.Json.JsonSerializer.Serialize("degraded: database unreachable (" + problem + ")")}}}""";
            context.Response.StatusCode = problem is null ? 200 : 503;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes, stoppingToken);
            context.Response.Close();
        }
    }
}
