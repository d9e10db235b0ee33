using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Models;
using FLOps.Grains.Projects;
using FLOps.Grains.Services;
using FLOps.Inference;
using FLOps.Learning.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FLOps.Grains.Models;

/// <summary>
/// One uploaded ONNX model: it is read and checked once, off the grain's scheduler, and kept in
/// grain state; its parameters go to the model store as the first global model of its projects.
/// </summary>
public sealed class UploadedModelGrain(
    [PersistentState(FlopsStorage.UploadedModelState, FlopsStorage.ProviderName)] IPersistentState<UploadedModelState> state,
    IModelStore models,
    TimeProvider time,
    IOptions<FlopsLimits> limits,
    ILogger<UploadedModelGrain> logger) : Grain, IUploadedModelGrain
{
    public async Task<UploadedModelInfo> Import(Immutable<byte[]> onnx)
    {
        if (state.State.Info is { } known)
        {
            return known;
        }

        var bytes = onnx.Value ?? throw new InvalidModelUploadException("the upload is empty");
        var imported = await Task.Run(() => Read(bytes, limits.Value.MaxModelParameters));
        var id = this.GetPrimaryKeyString();
        var info = new UploadedModelInfo
        {
            Id = id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..],
            Layout = TensorShapes.Of(imported.Layout),
            ParameterCount = imported.Layout.ParameterCount,
            Inputs = imported.FeatureCount,
            Classes = imported.ClassCount,
            InitialModel = await models.PutAsync(imported.InitialParameters),
            Bytes = bytes.Length,
            UploadedAt = time.GetUtcNow(),
        };
        state.State.Info = info;
        state.State.Graph = imported.Graph;
        await state.WriteStateAsync();
        logger.LogInformation("Uploaded model {Key}: {Parameters} parameters in {Tensors} tensors, {Inputs} inputs, {Classes} classes", id, info.ParameterCount, info.Layout.Count, info.Inputs, info.Classes);
        return info;
    }

    public Task<UploadedModelInfo?> GetInfo() => Task.FromResult(state.State.Info);

    public Task<Immutable<byte[]>?> GetGraph() =>
        Task.FromResult(state.State.Graph is { } graph ? new Immutable<byte[]>(graph) : (Immutable<byte[]>?)null);

    /// <summary>Imports the graph and loads it into ONNX Runtime through ML.NET, as scoring will: a graph that cannot run is refused now, not at the first evaluation.</summary>
    private static ImportedOnnxModel Read(byte[] onnx, long maxParameters)
    {
        try
        {
            var imported = ImportedOnnxModel.Import(onnx, maxParameters);
            using var scorer = new OnnxModelScorer(imported.Graph, imported.FeatureCount, imported.ClassCount);
            return imported;
        }
        catch (OnnxImportException e)
        {
            throw new InvalidModelUploadException(e.Message);
        }
        catch (ArgumentException e)
        {
            throw new InvalidModelUploadException($"ONNX Runtime cannot run the graph: {e.InnerException?.Message ?? e.Message}");
        }
    }
}
