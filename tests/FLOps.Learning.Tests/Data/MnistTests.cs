using System.Diagnostics;
using FLOps.Learning.Data;

namespace FLOps.Learning.Tests.Data;

public sealed class MnistTests
{
    [Fact]
    public void Load_gives_the_fixed_8000_2000_split_of_784_pixel_digits()
    {
        var split = Mnist.Load();

        Assert.Equal(8000, split.Train.Count);
        Assert.Equal(2000, split.Test.Count);
        foreach (var data in new[] { split.Train, split.Test })
        {
            Assert.Equal(Mnist.FeatureCount, data.FeatureCount);
            Assert.Equal(Mnist.ClassCount, data.ClassCount);
            Assert.Equal(data.Count * Mnist.FeatureCount, data.Features.Length);
        }
    }

    [Fact]
    public void Both_splits_hold_every_digit_in_roughly_balanced_stratified_counts()
    {
        var split = Mnist.Load();
        var train = Counts(split.Train);
        var test = Counts(split.Test);

        for (var digit = 0; digit < Mnist.ClassCount; digit++)
        {
            // The package has 863..1127 samples per digit; each split holds 8.6%..11.3% of its rows per digit.
            Assert.InRange(train[digit], 600, 1000);
            Assert.InRange(test[digit], 150, 250);
            // Stratified: the test share of every digit is 20% up to rounding.
            var share = (double)test[digit] / (train[digit] + test[digit]);
            Assert.InRange(share, 0.195, 0.205);
        }
    }

    [Fact]
    public void Splits_are_shuffled_so_classes_interleave()
    {
        var labels = Mnist.Load().Train.Labels;
        // A sorted split would have 9 label changes; a shuffled one changes label on ~90% of rows.
        var changes = 0;
        for (var i = 1; i < labels.Length; i++)
        {
            changes += labels[i] != labels[i - 1] ? 1 : 0;
        }

        Assert.True(changes > labels.Length / 2, $"only {changes} label changes");
        // The first hundred training rows already contain every digit.
        Assert.Equal(Mnist.ClassCount, labels.Take(100).Distinct().Count());
    }

    [Fact]
    public void Pixels_are_in_the_unit_interval_and_look_like_digits()
    {
        var split = Mnist.Load();
        foreach (var data in new[] { split.Train, split.Test })
        {
            var min = float.MaxValue;
            var max = float.MinValue;
            var sum = 0.0;
            foreach (var v in data.Features)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                sum += v;
            }

            Assert.Equal(0f, min);
            Assert.Equal(1f, max);
            // MNIST is mostly black background: mean intensity is about 0.13.
            Assert.InRange(sum / data.Features.Length, 0.08, 0.2);
        }

        // Every image has ink, and the border pixel is background.
        for (var i = 0; i < split.Test.Count; i++)
        {
            var row = split.Test.Row(i);
            Assert.True(row.ToArray().Max() > 0.5f, $"test row {i} is blank");
            Assert.Equal(0f, row[0]);
        }
    }

    [Fact]
    public void Train_and_test_share_no_image()
    {
        var split = Mnist.Load();
        var trainImages = new HashSet<string>(
            Enumerable.Range(0, split.Train.Count).Select(i => Convert.ToBase64String(Bytes(split.Train.Row(i)))));
        var overlap = Enumerable.Range(0, split.Test.Count).Count(i => trainImages.Contains(Convert.ToBase64String(Bytes(split.Test.Row(i)))));

        Assert.Equal(0, overlap);
    }

    [Fact]
    public void Repeated_loads_return_the_same_instances_even_concurrently()
    {
        var first = Mnist.Load();
        var concurrent = new MnistSplit[16];
        Parallel.For(0, concurrent.Length, i => concurrent[i] = Mnist.Load());

        Assert.Same(first, Mnist.Load());
        Assert.All(concurrent, split => Assert.Same(first, split));
        Assert.Same(first.Train, Mnist.Load().Train);
    }

    [Fact]
    public void Read_rejects_data_without_the_magic()
    {
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionMode.Compress, leaveOpen: true))
        {
            gzip.Write(new byte[64]);
        }

        packed.Position = 0;
        Assert.Throws<InvalidDataException>(() => Mnist.Read(packed));
    }

    [Fact]
    public void Decoding_the_embedded_resource_is_fast()
    {
        using var resource = typeof(Mnist).Assembly.GetManifestResourceStream(Mnist.ResourceName);
        Assert.NotNull(resource);
        var bytes = new MemoryStream();
        resource.CopyTo(bytes);

        var stopwatch = Stopwatch.StartNew();
        bytes.Position = 0;
        var fresh = Mnist.Read(bytes);
        stopwatch.Stop();

        Assert.NotSame(Mnist.Load(), fresh);
        Assert.Equal(Mnist.Load().Test.Labels, fresh.Test.Labels);
        Assert.Equal(Mnist.Load().Train.Features, fresh.Train.Features);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"decoding took {stopwatch.Elapsed}");
    }

    private static int[] Counts(Dataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (var label in data.Labels)
        {
            counts[label]++;
        }

        return counts;
    }

    private static byte[] Bytes(ReadOnlySpan<float> row)
    {
        var bytes = new byte[row.Length];
        for (var i = 0; i < row.Length; i++)
        {
            bytes[i] = (byte)MathF.Round(row[i] * 255f);
        }

        return bytes;
    }
}
