using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using FLOps.Learner;
using FLOps.Learning.Data;

namespace FLOps.Cli.Tests;

/// <summary><c>flops data export mnist</c>: the shard a learner trains on, as CSV or NumPy.</summary>
public sealed class DataExportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-data-export-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_csv_is_the_learners_mnist_shard_to_the_last_bit_as_its_loader_reads_it()
    {
        var path = Path.Combine(_directory, "shard.csv");

        var run = await FlopsProcess.RunAsync("data", "export", "mnist", "--shard", "1/4", "--out", path);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("2000 samples", Assert.Single(run.OutputLines), StringComparison.Ordinal);
        var loaded = LocalData.Load(path);
        var shard = LocalData.Load("mnist:shard=1/4");
        Assert.Equal(2000, loaded.Count);
        Assert.Equal(Mnist.FeatureCount, loaded.FeatureCount);
        Assert.Equal(shard.Labels, loaded.Labels);
        Assert.Equal(shard.Features, loaded.Features);
        Assert.StartsWith("label,x0,x1,", File.ReadLines(path).First(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partition_and_seed_give_the_shard_a_simulated_device_of_that_partition_holds()
    {
        var path = Path.Combine(_directory, "skewed.csv");

        var run = await FlopsProcess.RunAsync("data", "export", "mnist", "--shard", "0/3", "--partition", "dirichlet:0.3", "--seed", "5", "--out", path);

        Assert.True(run.ExitCode == 0, run.StandardError);
        var expected = LocalData.MnistShard(0, 3, "dirichlet:0.3", 5);
        Assert.Equal(expected.Labels, CsvDataset.Load(path).Labels);
        Assert.NotEqual(LocalData.MnistShard(0, 3).Labels, expected.Labels);
    }

    [Fact]
    public async Task The_npz_holds_x_as_float32_samples_by_784_and_y_as_int64_in_npy_format()
    {
        var path = Path.Combine(_directory, "shard.npz");

        var run = await FlopsProcess.RunAsync("data", "export", "mnist", "--shard", "2/5", "--out", path);

        Assert.True(run.ExitCode == 0, run.StandardError);
        var shard = LocalData.MnistShard(2, 5);
        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(["x.npy", "y.npy"], zip.Entries.Select(e => e.FullName).Order().ToArray());
        var (xHeader, x) = ReadNpy(zip.GetEntry("x.npy")!);
        var (yHeader, y) = ReadNpy(zip.GetEntry("y.npy")!);
        Assert.Equal($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shard.Count}, 784), }}", xHeader.TrimEnd());
        Assert.Equal($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({shard.Count},), }}", yHeader.TrimEnd());
        Assert.Equal(shard.Features, MemoryMarshal.Cast<byte, float>(x).ToArray());
        Assert.Equal(shard.Labels.Select(l => (long)l), MemoryMarshal.Cast<byte, long>(y).ToArray());
    }

    [Fact]
    public async Task Numpy_loads_the_npz_as_a_python_learner_would()
    {
        var path = Path.Combine(_directory, "numpy.npz");
        var export = await FlopsProcess.RunAsync("data", "export", "mnist", "--shard", "0/4", "--out", path);
        Assert.True(export.ExitCode == 0, export.StandardError);
        var python = (await RunAsync("bash", [Path.Combine(Repository.Root, "infra", "python", "numpy.sh")])).Trim().Split('\n')[^1];

        var check = await RunAsync(python, ["-c", """
            import sys, numpy as np
            d = np.load(sys.argv[1])
            x, y = d["x"], d["y"]
            print(sorted(d.files), x.dtype, x.shape, y.dtype, y.shape, x.min(), x.max(), int(y.sum()), repr(float(x.astype(np.float64).sum())))
            """, path]);

        var shard = LocalData.MnistShard(0, 4);
        var printed = check.Trim().Split(' ');
        Assert.Equal(
            $"['x', 'y'] float32 ({shard.Count}, 784) int64 ({shard.Count},) 0.0 1.0 {shard.Labels.Sum(l => l)}",
            string.Join(' ', printed[..^1]));
        var sum = shard.Features.Sum(v => (double)v);
        Assert.InRange(double.Parse(printed[^1], System.Globalization.CultureInfo.InvariantCulture), sum - 1e-3, sum + 1e-3);
    }

    [Theory]
    [InlineData("4/4", "--shard: the shard must be i/n with 0 <= i < n (got '4/4')")]
    [InlineData("1of4", "--shard: the shard must be i/n with 0 <= i < n (got '1of4')")]
    [InlineData("99999999999/3", "--shard: the shard must be i/n with 0 <= i < n (got '99999999999/3')")]
    public async Task A_shard_that_is_not_k_of_n_exits_with_code_2_and_one_line(string shard, string reason)
    {
        var run = await FlopsProcess.RunAsync("data", "export", "mnist", "--shard", shard, "--out", Path.Combine(_directory, "x.csv"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"flops: {reason}", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("mnist --shard 0/2 --out {dir}/x.txt", "--out: '")]
    [InlineData("mnist --shard 0/2 --partition zipf --out {dir}/x.csv", "--partition: Unknown partition scheme 'zipf'")]
    [InlineData("cifar --shard 0/2 --out {dir}/x.csv", "DATASET: 'cifar' is not a bundled data set")]
    public async Task Another_extension_partition_or_data_set_exits_with_code_2_and_one_line_naming_it(string args, string reason)
    {
        var run = await FlopsProcess.RunAsync(["data", "export", .. args.Replace("{dir}", _directory, StringComparison.Ordinal).Split(' ')]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"flops: {reason}", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    /// <summary>A <c>.npy</c> entry's header dictionary and data, after checking its magic, version and alignment.</summary>
    private static (string Header, byte[] Data) ReadNpy(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        var npy = bytes.ToArray();
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], npy[..8]);
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(npy, 10, headerLength);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        return (header, npy[(10 + headerLength)..]);
    }

    private static async Task<string> RunAsync(string fileName, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
