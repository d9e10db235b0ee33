using System.Runtime.Versioning;

namespace FLOps.Cli.Tests;

public sealed class CertsCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flops-certs-tests-{Guid.NewGuid():N}");

    [Fact]
    public async Task Create_writes_the_ca_and_a_certificate_and_key_per_host_and_says_how_to_use_them()
    {
        var run = await FlopsProcess.RunAsync("certs", "create", "--out", _directory, "--host", "127.0.0.1", "--host", "edge-a");

        Assert.True(run.ExitCode == 0, run.StandardError);
        string[] contract = ["ca.crt", "ca.key", "127.0.0.1.crt", "127.0.0.1.key", "edge-a.crt", "edge-a.key"];
        Assert.Equal(contract.Order(), Directory.GetFiles(_directory).Select(Path.GetFileName).Order());
        Assert.Equal(contract.Select(file => $"wrote {Path.Combine(_directory, file)}"), run.OutputLines[..6]);
        Assert.Contains($"--tls-cert {Path.Combine(_directory, "127.0.0.1.crt")} --tls-key {Path.Combine(_directory, "127.0.0.1.key")} --tls-ca {Path.Combine(_directory, "ca.crt")}", run.OutputLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Create_leaves_the_keys_readable_by_their_owner_only()
    {
        var run = await FlopsProcess.RunAsync("certs", "create", "--out", _directory, "--host", "edge-a");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "ca.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "edge-a.key")));
    }

    [Fact]
    public async Task Create_again_for_a_new_host_signs_it_with_the_ca_already_there()
    {
        await FlopsProcess.RunAsync("certs", "create", "--out", _directory, "--host", "edge-a");
        var authority = await File.ReadAllTextAsync(Path.Combine(_directory, "ca.crt"));

        var run = await FlopsProcess.RunAsync("certs", "create", "--out", _directory, "--host", "edge-b");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(authority, await File.ReadAllTextAsync(Path.Combine(_directory, "ca.crt")));
        Assert.Equal($"signed by the existing CA {Path.Combine(_directory, "ca.crt")}", run.OutputLines[0]);
        Assert.True(File.Exists(Path.Combine(_directory, "edge-b.key")));
    }

    [Fact]
    public async Task Create_without_a_host_exits_with_code_2_and_one_line_naming_the_option()
    {
        var run = await FlopsProcess.RunAsync("certs", "create", "--out", _directory);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--host", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task Create_with_a_host_that_could_name_another_directory_exits_with_code_2_and_writes_nothing()
    {
        var run = await FlopsProcess.RunAsync("certs", "create", "--out", _directory, "--host", "edge-a", "--host", "../edge-b");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("flops: --host: host '../edge-b' holds a path separator; give a host name or IP address", Assert.Single(run.ErrorLines));
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task Certs_alone_shows_its_help()
    {
        var run = await FlopsProcess.RunAsync("certs");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.OutputLines, line => line.StartsWith("create", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
