using System.Globalization;

namespace FLOps.Learning.Data;

/// <summary>
/// Reads a labelled dataset from comma-separated text: each row is the integer label (0..255)
/// followed by the feature values. A header row is recognised, and skipped, when its first
/// field is not an integer. Blank lines are ignored. Numbers use the invariant culture.
/// </summary>
public static class CsvDataset
{
    /// <summary>Reads the file at <paramref name="path"/>; see <see cref="Parse(TextReader, int?)"/>.</summary>
    public static Dataset Load(string path, int? classCount = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Parse(reader, classCount);
    }

    /// <summary>
    /// Writes <paramref name="data"/> as <see cref="Parse(TextReader, int?)"/> reads it back, to the
    /// last bit: a header row <c>label,x0,x1,…</c>, then one row a sample, the integer label first
    /// and each feature in its shortest round-trip form (invariant culture), lines ended by <c>\n</c>.
    /// </summary>
    public static void Write(Dataset data, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("label");
        for (var j = 0; j < data.FeatureCount; j++)
        {
            writer.Write(",x");
            writer.Write(j.ToString(CultureInfo.InvariantCulture));
        }

        writer.Write('\n');
        Span<char> number = stackalloc char[32];
        for (var i = 0; i < data.Count; i++)
        {
            writer.Write(data.Labels[i].ToString(CultureInfo.InvariantCulture));
            foreach (var value in data.Row(i))
            {
                writer.Write(',');
                value.TryFormat(number, out var length, "R", CultureInfo.InvariantCulture);
                writer.Write(number[..length]);
            }

            writer.Write('\n');
        }
    }

    /// <summary>
    /// Parses CSV rows into a <see cref="Dataset"/>. The feature count is taken from the first
    /// data row; every other row must have the same number of fields.
    /// </summary>
    /// <param name="reader">The CSV text.</param>
    /// <param name="classCount">
    /// The number of classes; when null it is the largest label + 1, but at least 2.
    /// </param>
    /// <exception cref="FormatException">A row is malformed; the message names its 1-based line number.</exception>
    public static Dataset Parse(TextReader reader, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (classCount is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(given, 2, nameof(classCount));
        }

        var features = new List<float>();
        var labels = new List<byte>();
        var featureCount = 0;
        var lineNumber = 0;
        var sawContent = false;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var fields = line.Split(',');
            if (!sawContent)
            {
                sawContent = true;
                if (!int.TryParse(fields[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    continue; // header row
                }
            }

            if (featureCount == 0)
            {
                featureCount = fields.Length - 1;
                if (featureCount < 1)
                {
                    throw new FormatException($"Line {lineNumber}: expected a label followed by at least one feature.");
                }
            }
            else if (fields.Length - 1 != featureCount)
            {
                throw new FormatException(
                    $"Line {lineNumber}: expected {featureCount} features after the label but found {fields.Length - 1}.");
            }

            var labelText = fields[0].Trim();
            if (!int.TryParse(labelText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var label)
                || label < 0 || label > byte.MaxValue)
            {
                throw new FormatException($"Line {lineNumber}: label '{labelText}' is not an integer in 0..255.");
            }

            if (classCount is { } classes && label >= classes)
            {
                throw new FormatException($"Line {lineNumber}: label {label} is outside the {classes} classes.");
            }

            for (var i = 1; i < fields.Length; i++)
            {
                var text = fields[i].Trim();
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
                {
                    throw new FormatException($"Line {lineNumber}: feature {i} ('{text}') is not a finite number.");
                }

                features.Add(value);
            }

            labels.Add((byte)label);
        }

        if (labels.Count == 0)
        {
            throw new FormatException("The CSV data has no rows.");
        }

        var inferredClasses = Math.Max(2, labels.Max() + 1);
        return new Dataset(features.ToArray(), labels.ToArray(), featureCount, classCount ?? inferredClasses);
    }
}
