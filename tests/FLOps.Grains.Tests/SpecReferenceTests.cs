using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;

namespace FLOps.Grains.Tests;

/// <summary>
/// Issue 19: <c>docs/spec.md</c> is the project spec's reference, and it cannot drift from the
/// code: every field of the spec's records has a row, every row is a field, each default is the
/// record's, each type the field's JSON type, and each numeric range written as an interval is
/// the validator's, probed at both ends and just beyond them.
/// </summary>
public sealed partial class SpecReferenceTests
{
    private static readonly IReadOnlyDictionary<string, Row> Reference = ReadReference();

    public static TheoryData<string> Fields => [.. FieldsOf(typeof(ProjectSpec), "").Select(f => f.Path)];

    public static TheoryData<string> Intervals => [.. Reference.Values.Where(r => Interval.TryParse(r.Range, out _)).Select(r => r.Path)];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Every_field_of_the_spec_has_a_row_with_its_type_and_default(string path)
    {
        var field = FieldsOf(typeof(ProjectSpec), "").Single(f => f.Path == path);

        Assert.True(Reference.TryGetValue(path, out var row), $"docs/spec.md has no row for `{path}`");
        Assert.Equal(JsonType(field.Property), row.Type);
        Assert.Equal(JsonDefault(field), row.Default);
    }

    [Fact]
    public void Every_row_names_a_field_of_the_spec()
    {
        var fields = FieldsOf(typeof(ProjectSpec), "").Select(f => f.Path).ToHashSet(StringComparer.Ordinal);

        Assert.All(Reference.Keys, path => Assert.Contains(path, fields));
    }

    [Theory]
    [MemberData(nameof(Intervals))]
    public void A_numeric_range_is_the_validators_own_at_both_ends_and_just_beyond(string path)
    {
        Assert.True(Interval.TryParse(Reference[path].Range, out var range));
        var integer = FieldsOf(typeof(ProjectSpec), "").Single(f => f.Path == path).Property is var p && IsInteger(p.PropertyType);

        foreach (var (value, accepted) in range.Probes(integer))
        {
            var errors = ProjectSpecValidator.Validate(With(Probe(), path, value)).Where(e => e.Field == path).ToList();
            Assert.True(accepted == (errors.Count == 0), $"{path} = {value}: expected {(accepted ? "accepted" : "refused")}, validator said [{string.Join("; ", errors.Select(e => e.Message))}]");
        }
    }

    [Fact]
    public void The_probe_spec_itself_is_valid()
    {
        Assert.Empty(ProjectSpecValidator.Validate(Probe()));
    }

    /// <summary>A valid spec with every optional part present, on data with no per-device limit.</summary>
    private static ProjectSpec Probe() => new()
    {
        Name = "probe",
        DataTag = "synthetic",
        Simulation = new SimulationSpec { Devices = 10 },
        Validation = new ValidationSpec { MaxUpdateNorm = 1, MaxSampleCount = 1000 },
        Privacy = new PrivacySpec { ClippingNorm = 1, NoiseMultiplier = 0 },
    };

    private static IEnumerable<(string Path, PropertyInfo Property, object Owner)> FieldsOf(Type type, string prefix)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract"))
        {
            var path = prefix + JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            yield return (path, property, instance);
            if (IsSpecRecord(property.PropertyType))
            {
                foreach (var inner in FieldsOf(property.PropertyType, path + "."))
                {
                    yield return inner;
                }
            }
        }
    }

    private static bool IsSpecRecord(Type type) => type.Namespace == typeof(ProjectSpec).Namespace && type.IsClass && type != typeof(string);

    private static bool IsInteger(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(int) || t == typeof(long));

    private static string JsonType(PropertyInfo property)
    {
        var type = property.PropertyType;
        var nullable = Nullable.GetUnderlyingType(type) is not null || new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable;
        var core = (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(string) => "string",
            var t when IsInteger(t) => "integer",
            var t when t == typeof(double) => "number",
            var t when IsSpecRecord(t) => "object",
            var t when t == typeof(IReadOnlyDictionary<string, double>) => "object of numbers",
            var t when typeof(IEnumerable).IsAssignableFrom(t) => "array of strings",
            var t => t.Name,
        };
        return nullable ? core + " or null" : core;
    }

    private static string JsonDefault((string Path, PropertyInfo Property, object Owner) field) => field.Property.GetValue(field.Owner) switch
    {
        null => "`null`",
        string s => $"`\"{s}\"`",
        IFormattable number => $"`{number.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => "`{}`",
    };

    /// <summary>The spec with the field at <paramref name="path"/> set to <paramref name="value"/> (records copied, never changed).</summary>
    private static object With(object record, string path, object value)
    {
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        var name = dot < 0 ? path : path[..dot];
        var property = record.GetType().GetProperties().Single(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name) == name);
        var copy = record.GetType().GetMethod("<Clone>$")!.Invoke(record, null)!;
        var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        property.SetValue(copy, dot < 0 ? Convert.ChangeType(value, target, CultureInfo.InvariantCulture) : With(property.GetValue(record)!, path[(dot + 1)..], value));
        return copy;
    }

    private static ProjectSpec With(ProjectSpec spec, string path, object value) => (ProjectSpec)With((object)spec, path, value);

    private static Dictionary<string, Row> ReadReference()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "FLOps.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(directory.FullName, "docs", "spec.md")))
        {
            var match = RowPattern().Match(line);
            if (match.Success)
            {
                var path = match.Groups["path"].Value;
                Assert.True(rows.TryAdd(path, new Row(path, match.Groups["type"].Value.Trim(), match.Groups["default"].Value.Trim(), match.Groups["range"].Value.Trim())), $"two rows for `{path}`");
            }
        }

        return rows;
    }

    [GeneratedRegex(@"^\| `(?<path>[a-zA-Z.]+)` \| (?<type>[^|]+)\| (?<default>[^|]+)\| (?<range>[^|]+)\|")]
    private static partial Regex RowPattern();

    private sealed record Row(string Path, string Type, string Default, string Range);

    /// <summary>A range written <c>[a, b]</c>, <c>(a, b]</c>, <c>[a, ∞)</c>, …: what is accepted, and what just beyond is not.</summary>
    private sealed partial record Interval(double Low, bool LowIncluded, double? High, bool HighIncluded)
    {
        public static bool TryParse(string text, out Interval range)
        {
            var match = IntervalPattern().Match(text);
            range = match.Success
                ? new Interval(
                    double.Parse(match.Groups["low"].Value, CultureInfo.InvariantCulture),
                    match.Groups["open"].Value == "[",
                    match.Groups["high"].Value == "∞" ? null : double.Parse(match.Groups["high"].Value, CultureInfo.InvariantCulture),
                    match.Groups["close"].Value == "]")
                : null!;
            return match.Success;
        }

        public IEnumerable<(object Value, bool Accepted)> Probes(bool integer)
        {
            yield return (LowIncluded ? Low : Up(Low, integer), true);
            yield return (LowIncluded ? Down(Low, integer) : Low, false);
            if (High is { } high)
            {
                yield return (HighIncluded ? high : Down(high, integer), true);
                yield return (HighIncluded ? Up(high, integer) : high, false);
            }
        }

        private static double Up(double x, bool integer) => integer ? x + 1 : Math.BitIncrement(x);

        private static double Down(double x, bool integer) => integer ? x - 1 : Math.BitDecrement(x);

        [GeneratedRegex(@"^(?<open>[\[(])(?<low>-?[0-9.e]+), (?<high>-?[0-9.e]+|∞)(?<close>[\])])$")]
        private static partial Regex IntervalPattern();
    }
}
