namespace FLOps.Cli.Tests;

public sealed class LearnerCommandTests
{
    [Fact]
    public async Task A_ca_file_that_does_not_exist_exits_with_code_2_and_one_line_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"flops-no-such-ca-{Guid.NewGuid():N}.crt");

        var run = await FlopsProcess.RunAsync("learner", "--gateway", "https://127.0.0.1:1", "--api-key", "k", "--data", "mnist:shard=0/3", "--ca", missing);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"flops: --ca: TLS CA file '{missing}' does not exist", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task A_ca_file_that_is_not_pem_exits_with_code_2_and_one_line_naming_it()
    {
        var garbled = Path.Combine(Path.GetTempPath(), $"flops-garbled-ca-{Guid.NewGuid():N}.crt");
        await File.WriteAllTextAsync(garbled, "not a certificate");
        try
        {
            var run = await FlopsProcess.RunAsync("learner", "--gateway", "https://127.0.0.1:1", "--api-key", "k", "--data", "mnist:shard=0/3", "--ca", garbled);

            Assert.Equal(2, run.ExitCode);
            Assert.StartsWith($"flops: --ca: TLS CA file '{garbled}' has no certificate", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(garbled);
        }
    }

    [Fact]
    public async Task A_ca_for_a_plain_http_gateway_exits_with_code_2_since_it_would_protect_nothing()
    {
        var run = await FlopsProcess.RunAsync("learner", "--gateway", "http://127.0.0.1:1", "--api-key", "k", "--data", "mnist:shard=0/3", "--ca", "ca.crt");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("flops: --ca: only an https:// gateway", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
