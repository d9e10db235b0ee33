using System.Globalization;

namespace FLOps.Learning.Partitioning;

/// <summary>Splits a training set over devices: disjoint shards that together cover every sample.</summary>
public interface IPartitioner
{
    /// <summary>Sample indices for each of <paramref name="partCount"/> devices, reproducible from the seed.</summary>
    IReadOnlyList<int[]> Partition(IReadOnlyList<byte> labels, int classCount, int partCount, int seed);
}

public static class PartitionScheme
{
    private const string AcceptedForms = "expected 'iid' or 'dirichlet:ALPHA' with ALPHA a number > 0, e.g. 'dirichlet:0.5'";

    /// <summary>Parses <c>iid</c> or <c>dirichlet:ALPHA</c> (ALPHA &gt; 0); throws <see cref="FormatException"/> with a reason otherwise.</summary>
    public static IPartitioner Parse(string scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        var text = scheme.Trim();
        if (text.Equals(IidPartitioner.SchemeName, StringComparison.OrdinalIgnoreCase))
        {
            return new IidPartitioner();
        }

        var prefix = DirichletPartitioner.SchemeName + ":";
        if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"Unknown partition scheme '{scheme}'; {AcceptedForms}.");
        }

        var alphaText = text[prefix.Length..].Trim();
        if (!double.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha))
        {
            throw new FormatException($"Dirichlet alpha '{alphaText}' in '{scheme}' is not a number; {AcceptedForms}.");
        }

        if (!(alpha > 0) || !double.IsFinite(alpha))
        {
            throw new FormatException($"Dirichlet alpha must be finite and > 0 but '{scheme}' gives {alpha.ToString(CultureInfo.InvariantCulture)}; {AcceptedForms}.");
        }

        return new DirichletPartitioner(alpha);
    }

    /// <summary>Like <see cref="Parse"/>, but reports failure instead of throwing.</summary>
    public static bool TryParse(string? scheme, out IPartitioner? partitioner)
    {
        partitioner = null;
        if (scheme is null)
        {
            return false;
        }

        try
        {
            partitioner = Parse(scheme);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The canonical text of a partitioner, which <see cref="Parse"/> turns back into an equal one.</summary>
    public static string Format(IPartitioner partitioner)
    {
        ArgumentNullException.ThrowIfNull(partitioner);
        return partitioner switch
        {
            IidPartitioner iid => iid.Scheme,
            DirichletPartitioner dirichlet => dirichlet.Scheme,
            _ => partitioner.ToString() ?? partitioner.GetType().Name,
        };
    }
}
