using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FLOps.Gateway;

/// <summary>
/// Checks a JSON body against the shape of the type it is read into, before it is read, and says
/// what does not fit in JSON's own terms, one message per field (<c>training.foo: unknown field</c>,
/// <c>training.rounds: expected an integer (got a string)</c>): the caller sees the paths of the body
/// they wrote, never a .NET type name. A body that fits deserializes without a shape error.
/// </summary>
public static class JsonShape
{
    /// <summary>Every field of <paramref name="body"/> that does not fit <paramref name="type"/>, with why; empty when it fits.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Check(JsonElement body, JsonTypeInfo type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var problems = new List<KeyValuePair<string, string>>();
        Visit(body, type, "", problems);
        return problems;
    }

    private static void Visit(JsonElement value, JsonTypeInfo type, string path, List<KeyValuePair<string, string>> problems)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (type.Type.IsValueType && Nullable.GetUnderlyingType(type.Type) is null)
            {
                problems.Add(new(path, $"expected {Expected(type)} (got null)"));
            }

            return;
        }

        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (!Is(value, JsonValueKind.Object, type, path, problems))
                {
                    return;
                }

                var comparison = type.Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                foreach (var field in value.EnumerateObject())
                {
                    var fieldPath = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
                    var property = type.Properties.FirstOrDefault(p => string.Equals(p.Name, field.Name, comparison));
                    if (property is null)
                    {
                        problems.Add(new(fieldPath, "unknown field"));
                    }
                    else
                    {
                        Visit(field.Value, type.Options.GetTypeInfo(property.PropertyType), fieldPath, problems);
                    }
                }

                return;
            case JsonTypeInfoKind.Enumerable when type.ElementType is { } element:
                if (Is(value, JsonValueKind.Array, type, path, problems))
                {
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        Visit(item, type.Options.GetTypeInfo(element), $"{path}[{index++}]", problems);
                    }
                }

                return;
            case JsonTypeInfoKind.Dictionary when type.ElementType is { } element:
                if (Is(value, JsonValueKind.Object, type, path, problems))
                {
                    foreach (var entry in value.EnumerateObject())
                    {
                        Visit(entry.Value, type.Options.GetTypeInfo(element), path.Length == 0 ? entry.Name : $"{path}.{entry.Name}", problems);
                    }
                }

                return;
            default:
                VisitScalar(value, type, path, problems);
                return;
        }
    }

    private static void VisitScalar(JsonElement value, JsonTypeInfo type, string path, List<KeyValuePair<string, string>> problems)
    {
        var scalar = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        if (scalar == typeof(string) || scalar == typeof(Guid) || scalar == typeof(DateTime) || scalar == typeof(DateTimeOffset) || scalar == typeof(TimeSpan))
        {
            Is(value, JsonValueKind.String, type, path, problems);
        }
        else if (scalar == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                problems.Add(new(path, $"expected true or false (got {Got(value)})"));
            }
        }
        else if (scalar.IsEnum)
        {
            if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                problems.Add(new(path, $"expected a string (got {Got(value)})"));
            }
        }
        else if (IntegerRange(scalar) is { } range)
        {
            if (!Is(value, JsonValueKind.Number, type, path, problems))
            {
                return;
            }

            var fits = value.TryGetInt64(out var integer)
                ? integer >= range.Min && integer <= range.Max
                : range.Max > long.MaxValue && value.TryGetUInt64(out _);
            if (!fits)
            {
                problems.Add(new(path, $"expected an integer from {range.Min} to {range.Max} (got {value.GetRawText()})"));
            }
        }
        else if (scalar == typeof(double) || scalar == typeof(float) || scalar == typeof(decimal) || scalar == typeof(Half))
        {
            // Only the kind: a float beyond its range reads as infinity, which the validators name.
            Is(value, JsonValueKind.Number, type, path, problems);
        }
    }

    private static bool Is(JsonElement value, JsonValueKind expected, JsonTypeInfo type, string path, List<KeyValuePair<string, string>> problems)
    {
        if (value.ValueKind == expected)
        {
            return true;
        }

        problems.Add(new(path, $"expected {Expected(type)} (got {Got(value)})"));
        return false;
    }

    private static string Expected(JsonTypeInfo type)
    {
        var scalar = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        return type.Kind switch
        {
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            JsonTypeInfoKind.Enumerable => "an array",
            _ when scalar == typeof(bool) => "true or false",
            _ when IntegerRange(scalar) is not null => "an integer",
            _ when scalar == typeof(double) || scalar == typeof(float) || scalar == typeof(decimal) || scalar == typeof(Half) => "a number",
            _ => "a string",
        };
    }

    private static string Got(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => "null",
    };

    private static (long Min, decimal Max)? IntegerRange(Type type) => Type.GetTypeCode(type) switch
    {
        _ when type.IsEnum => null,
        TypeCode.SByte => (sbyte.MinValue, sbyte.MaxValue),
        TypeCode.Byte => (byte.MinValue, byte.MaxValue),
        TypeCode.Int16 => (short.MinValue, short.MaxValue),
        TypeCode.UInt16 => (ushort.MinValue, ushort.MaxValue),
        TypeCode.Int32 => (int.MinValue, int.MaxValue),
        TypeCode.UInt32 => (uint.MinValue, uint.MaxValue),
        TypeCode.Int64 => (long.MinValue, long.MaxValue),
        TypeCode.UInt64 => (0, ulong.MaxValue),
        _ => null,
    };

    /// <summary>The field a <see cref="JsonException"/> is about, as the body names it (<c>$.training.rounds</c> → <c>training.rounds</c>).</summary>
    public static string FieldOf(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = exception.Path ?? "";
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }
}
