using System.Globalization;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// Reads a strategy's numeric parameters by name (case-insensitive), refusing names the
/// strategy does not know and values outside their range with a one-line
/// <see cref="ArgumentException"/> that names the parameter and the accepted range.
/// </summary>
internal sealed class StrategyParameters
{
    private readonly string _strategy;
    private readonly Dictionary<string, double> _values;

    private StrategyParameters(string strategy, Dictionary<string, double> values)
    {
        _strategy = strategy;
        _values = values;
    }

    /// <summary>Checks that every given name is one of <paramref name="accepted"/>.</summary>
    public static StrategyParameters Read(string strategy, IReadOnlyDictionary<string, double>? given, params string[] accepted)
    {
        var values = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in given ?? new Dictionary<string, double>())
        {
            var known = accepted.FirstOrDefault(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                var hint = accepted.Length == 0 ? "it takes no parameters" : $"accepted: {string.Join(", ", accepted)}";
                throw new ArgumentException($"{strategy}: unknown parameter '{name}'; {hint}");
            }

            if (!values.TryAdd(known, value))
            {
                throw new ArgumentException($"{strategy}: parameter '{known}' is given more than once");
            }
        }

        return new StrategyParameters(strategy, values);
    }

    /// <summary>The value given for <paramref name="name"/>, or <paramref name="defaultValue"/>.</summary>
    public double Get(string name, double defaultValue) => _values.GetValueOrDefault(name, defaultValue);

    /// <summary>A whole number given for <paramref name="name"/> in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="defaultValue"/>.</summary>
    public int Integer(string name, int defaultValue, int min, int max)
    {
        var value = _values.GetValueOrDefault(name, defaultValue);
        if (!(double.IsFinite(value) && value >= min && value <= max && Math.Floor(value) == value))
        {
            throw IntegerOutOfRange(_strategy, name, value, min, max);
        }

        return (int)value;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and in the range, which is [min, max] unless an end is marked exclusive.</summary>
    public static double CheckReal(string strategy, string name, double value, double min, double max, bool minExclusive = false, bool maxExclusive = false)
    {
        var aboveMin = minExclusive ? value > min : value >= min;
        var belowMax = maxExclusive ? value < max : value <= max;
        if (!(double.IsFinite(value) && aboveMin && belowMax))
        {
            var range = $"{(minExclusive ? "(" : "[")}{Format(min)}, {Format(max)}{(maxExclusive ? ")" : "]")}";
            throw new ArgumentException($"{strategy}: parameter '{name}' must be in {range} (got {Format(value)})");
        }

        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int CheckInteger(string strategy, string name, int value, int min, int max) =>
        value >= min && value <= max ? value : throw IntegerOutOfRange(strategy, name, value, min, max);

    private static ArgumentException IntegerOutOfRange(string strategy, string name, double value, int min, int max) =>
        new($"{strategy}: parameter '{name}' must be a whole number in [{min}, {max}] (got {Format(value)})");

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
