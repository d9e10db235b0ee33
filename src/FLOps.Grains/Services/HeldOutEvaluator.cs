using System.Collections.Concurrent;
using FLOps.Abstractions.Models;
using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;
using FLOps.Inference;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Onnx;

namespace FLOps.Grains.Services;

/// <summary>
/// Scores each new global model on the held-out set of its project's data, off the grain
/// scheduler: a built-in kind through its own forward pass, an uploaded ONNX model through ML.NET
/// and ONNX Runtime, as <c>/predict</c> scores it, with the round's parameters in its graph.
/// </summary>
public sealed class HeldOutEvaluator(ILocalTrainingService compute, ISimulatedDataCatalog data, IGrainFactory grains)
{
    /// <summary>Uploaded graphs by tenant and model id: an upload never changes, so one fetch per silo serves every round.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<byte[]>>> _graphs = new(StringComparer.Ordinal);

    /// <summary>The model's accuracy and log-loss, or <see langword="null"/> when the project's data has no held-out set.</summary>
    public async Task<EvaluationResult?> EvaluateAsync(ProjectSpec spec, string tenant, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        if (data.GetEvaluationSet(spec.DataTag) is not { } evaluationSet)
        {
            return null;
        }

        if (!ProjectSpecValidator.IsUploaded(spec.Model))
        {
            return await compute.EvaluateAsync(ProjectSpecValidator.ArchitectureOf(spec.Model), parameters, evaluationSet, CancellationToken.None);
        }

        var graph = await GraphOf(tenant, spec.Model.ModelId!);
        return await Task.Run(() =>
        {
            using var scorer = new OnnxModelScorer(ImportedOnnxModel.WithParameters(graph, parameters), spec.Model.Inputs!.Value, spec.Model.Classes!.Value);
            var metrics = scorer.Evaluate(evaluationSet);
            return new EvaluationResult(metrics.MicroAccuracy, metrics.LogLoss, metrics.Count);
        });
    }

    private Task<byte[]> GraphOf(string tenant, string modelId)
    {
        var key = IUploadedModelGrain.KeyFor(tenant, modelId);
        var fetch = _graphs.GetOrAdd(key, k => new Lazy<Task<byte[]>>(async () =>
            (await grains.GetGrain<IUploadedModelGrain>(k).GetGraph())?.Value ?? throw new InvalidOperationException($"the uploaded model '{modelId}' is gone")));
        return fetch.Value;
    }
}
