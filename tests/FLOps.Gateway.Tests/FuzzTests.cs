using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FLOps.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class FuzzTests(GatewayFixture gateway)
{
    private const int Requests = 1200;

    [Fact]
    public async Task A_thousand_malformed_requests_get_no_5xx_and_leave_a_running_project_unharmed()
    {
        var running = await gateway.TenantA.PostAsJsonAsync("/api/v1/projects", GatewayFixture.Spec(rounds: 3, latencySeconds: 2));
        var runningId = (await GatewayFixture.Body(running)).GetProperty("id").GetString()!;
        var random = new Random(20261126);
        var valid = JsonSerializer.Serialize(GatewayFixture.Spec());
        var failures = new List<string>();

        for (var i = 0; i < Requests; i++)
        {
            var (method, path, body) = Malformed(random, valid, runningId);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new("application/json");
            }

            var response = await gateway.TenantB.SendAsync(request);
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{method} {path} [{Encoding.UTF8.GetString(body ?? [])[..Math.Min(120, body?.Length ?? 0)]}] → {(int)response.StatusCode}");
            }
        }

        Assert.Empty(failures);
        var ended = await gateway.WaitForState(gateway.TenantA, runningId, "Completed", "Failed", "Cancelled");
        Assert.Equal("Completed", ended.GetProperty("state").GetString());
        Assert.Equal(3, ended.GetProperty("rounds").GetArrayLength());
    }

    private static (HttpMethod Method, string Path, byte[]? Body) Malformed(Random random, string valid, string runningId)
    {
        string[] paths = ["/api/v1/projects", "/api/v1/devices", $"/api/v1/projects/{runningId}/predict", $"/api/v1/projects/{runningId}/cancel", "/api/v1/projects/..%2F..%2Fetc", $"/api/v1/projects/{new string('x', 300)}"];
        var path = paths[random.Next(paths.Length)];
        var method = random.Next(10) == 0 ? HttpMethod.Get : HttpMethod.Post;
        byte[] body = random.Next(7) switch
        {
            0 => RandomBytes(random, random.Next(0, 4096)),
            1 => Encoding.UTF8.GetBytes(Mutate(random, valid)),
            2 => Encoding.UTF8.GetBytes(valid.Replace("\"rounds\":2", $"\"rounds\":{HugeNumber(random)}", StringComparison.Ordinal)),
            3 => Encoding.UTF8.GetBytes(valid.Replace("\"devices\":3", $"\"devices\":{WrongType(random)}", StringComparison.Ordinal)),
            4 => Encoding.UTF8.GetBytes($"{{\"features\":[{string.Join(',', Enumerable.Range(0, random.Next(0, 2000)).Select(_ => WrongType(random)))}]}}"),
            5 => Encoding.UTF8.GetBytes(new string('[', random.Next(1, 5000))),
            _ => Encoding.UTF8.GetBytes(valid[..random.Next(valid.Length)]),
        };
        return (method, path, body);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Mutate(Random random, string json)
    {
        var chars = json.ToCharArray();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            const string Noise = "{}[]\":,0x-\\e9 ";
            chars[random.Next(chars.Length)] = Noise[random.Next(Noise.Length)];
        }

        return new string(chars);
    }

    private static string HugeNumber(Random random) => random.Next(4) switch
    {
        0 => "1e400",
        1 => "-99999999999999999999999",
        2 => "2147483648",
        _ => "0.000000000000000000000000000001",
    };

    private static string WrongType(Random random) => random.Next(6) switch
    {
        0 => "\"text\"",
        1 => "null",
        2 => "{}",
        3 => "[1,2]",
        4 => "true",
        _ => "1e39",
    };
}
