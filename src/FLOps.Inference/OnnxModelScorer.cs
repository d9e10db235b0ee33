using FLOps.Learning.Data;
using FLOps.Learning.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FLOps.Inference;

/// <param name="Label">The most probable class.</param>
/// <param name="Scores">Class probabilities, indexed by class.</param>
public sealed record Prediction(int Label, float[] Scores);

/// <summary>ML.NET's multiclass metrics over a labelled dataset.</summary>
public sealed record MulticlassEvaluation(double MicroAccuracy, double MacroAccuracy, double LogLoss, int Count);

/// <summary>Scores an ONNX model through ML.NET's <c>ApplyOnnxModel</c>.</summary>
/// <remarks>
/// The model must have the interface written by <see cref="OnnxModelExporter"/>: a float input
/// <c>features</c> [N, featureCount] and outputs <c>probabilities</c> float [N, classCount] and
/// <c>label</c> int64 [N]. The pipeline is
/// <c>ApplyOnnxModel → CopyColumns(probabilities → Score) → CustomMapping(label → PredictedLabel key)</c>
/// over rows whose <c>Label</c> column is a key with <c>classCount</c> values, which is what
/// <c>MulticlassClassification.Evaluate</c> expects. ML.NET's ONNX transformer runs the model one row
/// at a time internally; <see cref="PredictAll"/> and <see cref="Evaluate"/> still stream the whole
/// dataset through one <see cref="IDataView"/>. The type is safe to use from several threads.
/// </remarks>
public sealed class OnnxModelScorer : IDisposable
{
    private const string LabelColumn = "Label";
    private const string ScoreColumn = "Score";
    private const string PredictedLabelColumn = "PredictedLabel";

    private readonly MLContext _mlContext = new(seed: 0);
    private readonly SchemaDefinition _inputSchema;
    private readonly ITransformer _transformer;
    private readonly PredictionEngine<ScorerInput, ScorerOutput> _engine;
    private readonly Lock _engineLock = new();
    private readonly string _modelPath;
    private readonly int _featureCount;
    private readonly int _classCount;
    private bool _disposed;

    /// <exception cref="ArgumentException">
    /// The bytes are not an ONNX model, or its input/output shapes do not match the counts.
    /// </exception>
    public OnnxModelScorer(byte[] onnxModel, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        _featureCount = featureCount;
        _classCount = classCount;

        _inputSchema = SchemaDefinition.Create(typeof(ScorerInput));
        _inputSchema[OnnxModelExporter.FeaturesName].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        _inputSchema[LabelColumn].ColumnType = new KeyDataViewType(typeof(uint), classCount);

        var predictedSchema = SchemaDefinition.Create(typeof(PredictedKey));
        predictedSchema[PredictedLabelColumn].ColumnType = new KeyDataViewType(typeof(uint), classCount);

        var outputSchema = SchemaDefinition.Create(typeof(ScorerOutput));
        outputSchema[OnnxModelExporter.ProbabilitiesName].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classCount);
        outputSchema[OnnxModelExporter.LabelName].ColumnType = new VectorDataViewType(NumberDataViewType.Int64, 1);

        // ML.NET's Stream overload of ApplyOnnxModel copies the model to a temporary file that it does
        // not delete when the transformer is disposed (seen with Microsoft.ML.OnnxTransformer 5.0.1 on
        // Linux), so we own the file: ONNX Runtime reads it once while the session is created, and it is
        // deleted as soon as the pipeline is fitted (and again, if need be, on Dispose).
        _modelPath = Path.Combine(Path.GetTempPath(), $"flops-scorer-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(_modelPath, onnxModel);
        try
        {
            var pipeline = _mlContext.Transforms
                .ApplyOnnxModel(
                    outputColumnNames: [OnnxModelExporter.ProbabilitiesName, OnnxModelExporter.LabelName],
                    inputColumnNames: [OnnxModelExporter.FeaturesName],
                    modelFile: _modelPath)
                .Append(_mlContext.Transforms.CopyColumns(ScoreColumn, OnnxModelExporter.ProbabilitiesName))
                .Append(_mlContext.Transforms.CustomMapping<OnnxLabel, PredictedKey>(
                    static (onnx, predicted) => predicted.PredictedLabel = checked((uint)onnx.Label[0]),
                    contractName: null,
                    inputSchemaDefinition: null,
                    outputSchemaDefinition: predictedSchema));
            _transformer = pipeline.Fit(ToDataView([]));
        }
        catch (InvalidOperationException e)
        {
            // ML.NET reports unreadable models and input-shape mismatches this way.
            throw new ArgumentException(
                $"The ONNX model cannot be scored with {featureCount} features and {classCount} classes: {e.Message}", nameof(onnxModel), e);
        }
        finally
        {
            DeleteModelFile();
        }

        try
        {
            CheckOutputShape(_transformer.GetOutputSchema(ToDataView([]).Schema));
            _engine = _mlContext.Model.CreatePredictionEngine<ScorerInput, ScorerOutput>(
                _transformer, ignoreMissingColumns: true, inputSchemaDefinition: _inputSchema, outputSchemaDefinition: outputSchema);
        }
        catch
        {
            (_transformer as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Scores one sample: a prediction with finite scores, or why there is none (see <see cref="Scoring"/>).</summary>
    /// <exception cref="ArgumentException">The sample does not have the model's feature count.</exception>
    public Scoring Score(ReadOnlySpan<float> features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (features.Length != _featureCount)
        {
            throw new ArgumentException($"Expected {_featureCount} features but got {features.Length}.", nameof(features));
        }

        if (FirstNotFinite(features) is { } feature)
        {
            return new Scoring.FeatureNotFinite(feature, features[feature]);
        }

        ScorerOutput output;
        lock (_engineLock)
        {
            output = _engine.Predict(new ScorerInput { Features = features.ToArray() });
        }

        return FirstNotFinite(output.Probabilities) is { } score
            ? new Scoring.ScoresNotFinite(score, output.Probabilities[score])
            : new Scoring.Scored(new Prediction(checked((int)output.Label[0]), output.Probabilities));
    }

    public IReadOnlyList<Prediction> PredictAll(Dataset data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckDataset(data);

        var scored = _transformer.Transform(ToDataView(Rows(data)));
        var probabilitiesColumn = scored.Schema[OnnxModelExporter.ProbabilitiesName];
        var labelColumn = scored.Schema[OnnxModelExporter.LabelName];
        var predictions = new List<Prediction>(data.Count);
        using var cursor = scored.GetRowCursor([probabilitiesColumn, labelColumn]);
        var getProbabilities = cursor.GetGetter<VBuffer<float>>(probabilitiesColumn);
        var getLabel = cursor.GetGetter<VBuffer<long>>(labelColumn);
        VBuffer<float> probabilities = default;
        VBuffer<long> label = default;
        while (cursor.MoveNext())
        {
            getProbabilities(ref probabilities);
            getLabel(ref label);
            var scores = new float[_classCount];
            probabilities.CopyTo(scores);
            predictions.Add(new Prediction(checked((int)label.GetItemOrDefault(0)), scores));
        }

        return predictions;
    }

    /// <summary>Accuracy and log-loss by ML.NET's <c>MulticlassClassification.Evaluate</c>.</summary>
    public MulticlassEvaluation Evaluate(Dataset data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckDataset(data);
        if (data.Count == 0)
        {
            throw new ArgumentException("Cannot evaluate on an empty dataset.", nameof(data));
        }

        var scored = _transformer.Transform(ToDataView(Rows(data)));
        var metrics = _mlContext.MulticlassClassification.Evaluate(scored, LabelColumn, ScoreColumn, PredictedLabelColumn);
        return new MulticlassEvaluation(metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, data.Count);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _engine.Dispose();
        (_transformer as IDisposable)?.Dispose();
        DeleteModelFile();
    }

    private void DeleteModelFile()
    {
        try
        {
            File.Delete(_modelPath);
        }
        catch (IOException)
        {
            // Best effort: a temporary file that cannot be deleted now is left to the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int? FirstNotFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return null;
    }

    private IDataView ToDataView(IEnumerable<ScorerInput> rows) => _mlContext.Data.LoadFromEnumerable(rows, _inputSchema);

    private static IEnumerable<ScorerInput> Rows(Dataset data)
    {
        for (var i = 0; i < data.Count; i++)
        {
            // A key-typed POCO member holds the zero-based class; ML.NET stores it as the one-based key.
            yield return new ScorerInput { Features = data.Row(i).ToArray(), Label = data.Labels[i] };
        }
    }

    private void CheckDataset(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != _featureCount || data.ClassCount != _classCount)
        {
            throw new ArgumentException(
                $"The scorer expects {_featureCount} features and {_classCount} classes but the dataset has "
                + $"{data.FeatureCount} features and {data.ClassCount} classes.",
                nameof(data));
        }
    }

    private void CheckOutputShape(DataViewSchema schema)
    {
        if (schema[OnnxModelExporter.ProbabilitiesName].Type is not VectorDataViewType { ItemType: var item, Size: var size }
            || item != NumberDataViewType.Single || size != _classCount)
        {
            throw new ArgumentException(
                $"The ONNX model's '{OnnxModelExporter.ProbabilitiesName}' output is {schema[OnnxModelExporter.ProbabilitiesName].Type}, "
                + $"not a float vector of {_classCount} classes.");
        }
    }

    private sealed class ScorerInput
    {
        [ColumnName(OnnxModelExporter.FeaturesName)]
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    private sealed class ScorerOutput
    {
        [ColumnName(OnnxModelExporter.ProbabilitiesName)]
        public float[] Probabilities { get; set; } = [];

        [ColumnName(OnnxModelExporter.LabelName)]
        public long[] Label { get; set; } = [];
    }

    private sealed class OnnxLabel
    {
        [ColumnName(OnnxModelExporter.LabelName)]
        [VectorType(1)]
        public long[] Label { get; set; } = [];
    }

    private sealed class PredictedKey
    {
        public uint PredictedLabel { get; set; }
    }
}
