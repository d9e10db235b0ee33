using FLOps.Learning.Data;

namespace FLOps.Learning.Tests.Data;

public sealed class CsvDatasetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flops-csv-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Round_trips_a_file_written_from_a_dataset()
    {
        var original = new Dataset([0.5f, -1.25f, 3e-3f, 0f, 1f, 2.5f, 7f, -0f, 0.1f], [2, 0, 1], 3, 4);
        var lines = Enumerable.Range(0, original.Count).Select(i =>
            string.Join(',', new[] { original.Labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture) }
                .Concat(original.Row(i).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        var path = Write(string.Join('\n', lines) + "\n");

        var loaded = CsvDataset.Load(path, classCount: 4);

        Assert.Equal(original.Features, loaded.Features);
        Assert.Equal(original.Labels, loaded.Labels);
        Assert.Equal(3, loaded.FeatureCount);
        Assert.Equal(4, loaded.ClassCount);
    }

    [Fact]
    public void Write_gives_a_header_and_rows_that_parse_back_to_the_same_bits()
    {
        var original = new Dataset([0.5f, -1.25f, 3e-3f, 0f, 1f / 255f, float.Epsilon, 7f, -0f, 0.1f], [2, 0, 1], 3, 4);
        using var text = new StringWriter();

        CsvDataset.Write(original, text);
        var loaded = CsvDataset.Parse(new StringReader(text.ToString()), classCount: 4);

        Assert.StartsWith("label,x0,x1,x2\n2,0.5,-1.25,0.003\n", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(original.Labels, loaded.Labels);
        Assert.Equal(original.Features.Select(BitConverter.SingleToInt32Bits), loaded.Features.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Skips_a_header_row_and_blank_lines_and_infers_the_class_count()
    {
        var path = Write("label,x0,x1\r\n1, 0.5 ,2\r\n\r\n3,1e-2,-4\r\n0,0,0\r\n");

        var data = CsvDataset.Load(path);

        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.FeatureCount);
        Assert.Equal(4, data.ClassCount);
        Assert.Equal(new byte[] { 1, 3, 0 }, data.Labels);
        Assert.Equal(new[] { 0.5f, 2f, 0.01f, -4f, 0f, 0f }, data.Features);
    }

    [Fact]
    public void Infers_at_least_two_classes()
    {
        var data = CsvDataset.Parse(new StringReader("0,1\n0,2\n"));

        Assert.Equal(2, data.ClassCount);
        Assert.Equal(1, data.FeatureCount);
    }

    [Theory]
    [InlineData("0,1,2\n1,3\n", 0, 2, "expected 2 features")]
    [InlineData("h,a,b\n0,1,2\n1,2,x\n", 0, 3, "'x'")]
    [InlineData("0,1,2\n\n-1,2,3\n", 0, 3, "'-1'")]
    [InlineData("0,1,2\n1.5,2,3\n", 0, 2, "'1.5'")]
    [InlineData("0,1,2\n256,2,3\n", 0, 2, "'256'")]
    [InlineData("0,1,2\n1,NaN,3\n", 0, 2, "not a finite number")]
    [InlineData("0,1,2\n1,2,3\n5,2,3\n", 3, 3, "outside the 3 classes")]
    public void Rejects_bad_rows_naming_the_line(string csv, int classCount, int line, string detail)
    {
        var error = Assert.Throws<FormatException>(() => CsvDataset.Parse(new StringReader(csv), classCount == 0 ? null : classCount));

        Assert.Contains($"Line {line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_input_without_rows_or_features()
    {
        Assert.Throws<FormatException>(() => CsvDataset.Parse(new StringReader("label,x\n")));
        Assert.Throws<FormatException>(() => CsvDataset.Parse(new StringReader("")));
        var error = Assert.Throws<FormatException>(() => CsvDataset.Parse(new StringReader("1\n")));
        Assert.Contains("Line 1:", error.Message, StringComparison.Ordinal);
    }
}
