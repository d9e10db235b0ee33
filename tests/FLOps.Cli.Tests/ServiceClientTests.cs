using System.Net;
using System.Text;
using System.Text.Json;
using FLOps.Protocol;
using FLOps.ServiceClient;

namespace FLOps.Cli.Tests;

/// <summary>The user's HTTP client, against a scripted gateway: problems in one line, the events stream followed to the end.</summary>
public sealed class ServiceClientTests
{
    private static readonly Uri Gateway = new("http://gateway.test/");

    [Fact]
    public void A_validation_problem_is_one_line_with_each_fields_error()
    {
        var text = ProblemText.Summarize(HttpStatusCode.BadRequest, """
            {"type":"x","title":"Invalid project spec","status":400,"errors":{"training.rounds":["must be between 1 and 10000 (got 0)"],"name":["is required","is\nlong"]}}
            """);

        Assert.Equal("Invalid project spec: training.rounds: must be between 1 and 10000 (got 0); name: is required; name: is long", text);
    }

    [Theory]
    [InlineData("""{"title":"Conflict","status":409,"detail":"project 'p' has no model yet"}""", "project 'p' has no model yet")]
    [InlineData("""{"title":"Unauthorized","status":401}""", "Unauthorized")]
    [InlineData("<html>\r\nbad gateway</html>", "<html>  bad gateway</html>")]
    [InlineData("", "HTTP 502 BadGateway")]
    public void Any_other_error_answer_is_its_detail_its_title_or_its_body_in_one_line(string body, string expected) =>
        Assert.Equal(expected, ProblemText.Summarize(HttpStatusCode.BadGateway, body));

    [Fact]
    public async Task Watch_opens_the_events_stream_again_when_it_closes_before_the_project_ended()
    {
        var gateway = new ScriptedGateway(
            Events(Project("Pending"), Project("Running", rounds: 1)),
            Events(Project("Running", rounds: 1), Project("Completed", rounds: 2), Project("Completed", rounds: 2)));
        using var client = new FlopsServiceClient(new HttpClient(gateway), Gateway, "key") { ReconnectDelay = TimeSpan.Zero };

        var seen = await Collect(client.WatchAsync("p"));

        Assert.Equal(["Pending/0", "Running/1", "Running/1", "Completed/2"], seen.Select(p => $"{p.State}/{p.Rounds.Count}"));
        Assert.Equal(2, gateway.Requests.Count);
        Assert.All(gateway.Requests, r => Assert.Equal("Bearer key", r));
    }

    [Fact]
    public async Task Watch_gives_up_when_the_stream_keeps_closing_without_an_event()
    {
        var gateway = new ScriptedGateway(Events(Project("Running")), Events(), Events());
        using var client = new FlopsServiceClient(new HttpClient(gateway), Gateway, "key") { ReconnectDelay = TimeSpan.Zero, MaxReconnects = 2 };

        var error = await Assert.ThrowsAsync<GatewayAnswerException>(() => Collect(client.WatchAsync("p")));

        Assert.Equal("the events stream of project 'p' closed 3 times in a row before the project ended", error.Message);
        Assert.Equal(3, gateway.Requests.Count);
    }

    [Fact]
    public async Task An_error_answer_is_a_refusal_with_the_status_and_the_problems_reason()
    {
        var gateway = new ScriptedGateway(new HttpResponseMessage(HttpStatusCode.NotFound)
        {
            Content = new StringContent("""{"title":"Not found","status":404,"detail":"no project 'p'"}""", Encoding.UTF8, "application/problem+json"),
        });
        using var client = new FlopsServiceClient(new HttpClient(gateway), Gateway, "key");

        var refusal = await Assert.ThrowsAsync<GatewayRefusedException>(() => Collect(client.WatchAsync("p")));

        Assert.Equal(404, refusal.Status);
        Assert.True(refusal.IsCallersMistake);
        Assert.Equal("no project 'p'", refusal.Message);
    }

    private static ProjectView Project(string state, int rounds = 0) => new(
        "p", "n", state, rounds, 2, null, null, null, "classic", 0, null,
        [.. Enumerable.Range(1, rounds).Select(r => new RoundView(r, 3, 3, 0.5, 0.8, 1, 0.6, 100, [], null))]);

    private static HttpResponseMessage Events(params ProjectView[] projects) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(
            string.Concat(projects.Select(p => $"event: {ServiceRoutes.ProgressEvent}\ndata: {JsonSerializer.Serialize(p, JsonSerializerOptions.Web)}\n\n")),
            Encoding.UTF8,
            "text/event-stream"),
    };

    private static async Task<List<ProjectView>> Collect(IAsyncEnumerable<ProjectView> projects)
    {
        var all = new List<ProjectView>();
        await foreach (var project in projects)
        {
            all.Add(project);
        }

        return all;
    }

    /// <summary>Answers each request with the next of its responses, and records each request's Authorization header.</summary>
    private sealed class ScriptedGateway(params HttpResponseMessage[] responses) : HttpMessageHandler
    {
        private int _next;

        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.Headers.Authorization?.ToString() ?? "");
            return Task.FromResult(responses[_next++]);
        }
    }
}
