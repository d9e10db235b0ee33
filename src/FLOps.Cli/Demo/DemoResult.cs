using System.Text.Json;
using System.Text.Json.Serialization;
using FLOps.Abstractions.Projects;

namespace FLOps.Cli.Demo;

/// <summary>The outcome of <c>flops demo</c>; its JSON field names are part of the contract.</summary>
public sealed record DemoResult
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly JsonSerializerOptions IndentedJsonOptions = new(JsonOptions) { WriteIndented = true };

    public string ProjectId { get; init; } = "";

    /// <summary>ML.NET's micro accuracy of the exported model on the held-out split.</summary>
    public double Accuracy { get; init; }

    /// <summary>ML.NET's log-loss of the exported model on the held-out split.</summary>
    public double Loss { get; init; }

    public int Rounds { get; init; }

    public int Devices { get; init; }

    public double Seconds { get; init; }

    /// <summary>From the project's submission to its end: the training alone, without starting the silos or scoring the model.</summary>
    public double ProjectSeconds { get; init; }

    /// <summary>Path of the ONNX model.</summary>
    public string Model { get; init; } = "";

    public long BytesToCloud { get; init; }

    /// <summary><c>classic</c> or <c>hierarchical</c>.</summary>
    public string Mode { get; init; } = "classic";

    public int EdgeClusters { get; init; }

    /// <summary>Hierarchical mode: cycles run.</summary>
    public int? Cycles { get; init; }

    /// <summary>Hierarchical mode: device update bytes received by the edge aggregators (what classic mode would send the cloud).</summary>
    public long? BytesToEdge { get; init; }

    public string ModelKind { get; init; } = "";

    public string Partition { get; init; } = "";

    public string Strategy { get; init; } = "";

    public int Seed { get; init; }

    /// <summary>Path of the per-round metrics.</summary>
    public string Metrics { get; init; } = "";

    public IReadOnlyList<RoundSummary>? History { get; init; }
}
