using FLOps.Abstractions.Devices;
using FLOps.Abstractions.Limits;
using FLOps.Abstractions.Projects;
using FLOps.Learning.Aggregation;
using FLOps.Learning.Data;
using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;
using FLOps.Learning.Onnx;
using FLOps.Learning.Partitioning;
using FLOps.Learning.Robustness;

namespace FLOps.Grains.Projects;

/// <summary>
/// Decides whether a spec can run, naming every problem by its JSON path, so that the CLI,
/// the gateway and Orleans clients all refuse bad input with the same reasons.
/// </summary>
public static class ProjectSpecValidator
{
    public const int MaxRounds = 10_000;
    public const int MaxSimulatedDevices = 100_000;

    public const string ClassicMode = "classic";
    public const string HierarchicalMode = "hierarchical";

    public const string FailPolicy = "fail";
    public const string RetryPolicy = "retry";
    public const int MaxRoundRetriesLimit = 100;
    public const int MaxInputs = 10_000_000;
    public const int MaxClasses = 100_000;
    public const int MaxHiddenUnits = 4096;
    public const int MaxModelIdLength = 64;

    /// <summary>The slowest simulated device at most this many times slower than the fastest: a spread of 1000 already makes a round of 8,000 MNIST digits last half an hour.</summary>
    public const double MaxSpeedSpread = 1000;

    /// <summary>
    /// Momentum of local SGD stays below 1, where the velocity would never decay; bounded in
    /// decimal terms, so that no double just under 1 turns into 1 as the float devices train with.
    /// </summary>
    public const double MaxMomentum = 0.999;

    /// <summary>Far above any model's change in a round, and low enough that noise of up to 1000 × this stays finite in float32.</summary>
    public const double MaxClippingNorm = 1e6;

    /// <summary>A project may raise its sample-count bound up to this, so that sums over 100,000 devices stay exact in 64 bits.</summary>
    public const long MaxSampleCountLimit = 1_000_000_000_000;

    private static readonly string[] FailurePolicies = [FailPolicy, RetryPolicy];

    /// <summary>
    /// Every problem of <paramref name="spec"/>, null fields included (an Orleans client may send
    /// them), under the service's <paramref name="limits"/> (the defaults when <c>null</c>).
    /// </summary>
    public static IReadOnlyList<SpecError> Validate(ProjectSpec? spec, FlopsLimits? limits = null)
    {
        limits ??= new FlopsLimits();
        if (spec is null)
        {
            return [new SpecError("spec", "a project spec is required")];
        }

        var errors = new List<SpecError>();
        void Require(bool condition, string field, string message)
        {
            if (!condition)
            {
                errors.Add(new SpecError(field, message));
            }
        }

        Require(!string.IsNullOrWhiteSpace(spec.Name) && spec.Name.Length <= 200, "name", "must be 1 to 200 characters");
        Require(DataTags.IsValid(spec.DataTag, limits.MaxDataTagLength), "dataTag", $"is required: 1 to {limits.MaxDataTagLength} {DataTags.Rule}");

        var model = spec.Model;
        if (model is null)
        {
            errors.Add(new SpecError("model", "is required"));
        }
        else
        {
            var errorsBeforeModel = errors.Count;
            var kind = ModelCatalog.Find(model.Kind);
            var uploaded = IsUploaded(model);
            Require(kind is not null || uploaded, "model.kind", $"must be one of {ModelCatalog.NameList}, {ImportedOnnxModel.KindName} (got '{model.Kind}')");
            if (uploaded)
            {
                Require(!string.IsNullOrWhiteSpace(model.ModelId) && model.ModelId.Length <= MaxModelIdLength, "model.modelId", $"is required for kind {ImportedOnnxModel.KindName}: the id POST /api/v1/models answered with (at most {MaxModelIdLength} characters)");
                Require(spec.Simulation is null, "simulation", $"an {ImportedOnnxModel.KindName} model is trained by registered learners in any framework; simulated devices train the built-in kinds ({ModelCatalog.NameList})");
            }
            else
            {
                Require(model.ModelId is null, "model.modelId", $"names an uploaded model, for kind {ImportedOnnxModel.KindName} only");
            }

            Require(model.HiddenUnits is null or (>= 1 and <= MaxHiddenUnits), "model.hiddenUnits", $"must be between 1 and {MaxHiddenUnits}");
            Require(model.Inputs is null or (>= 1 and <= MaxInputs), "model.inputs", $"must be between 1 and {MaxInputs}");
            Require(model.Classes is null or (>= 2 and <= MaxClasses), "model.classes", $"must be between 2 and {MaxClasses}");
            var bundled = IsBundled(spec.DataTag);
            Require(bundled || uploaded || (model.Inputs is not null && model.Classes is not null), "model", $"inputs and classes are required for data tag '{spec.DataTag}' (only mnist and synthetic are bundled)");
            if (errors.Count == errorsBeforeModel && kind is not null)
            {
                // Counted before any model exists, so a 250-byte spec cannot ask for gigabytes.
                var shape = Services.MnistDataCatalog.ShapeOf(spec.DataTag);
                try
                {
                    var parameters = kind!.CountParameters(new ModelSize(model.Inputs ?? shape.Features, model.Classes ?? shape.Classes, model.HiddenUnits));
                    Require(parameters <= limits.MaxModelParameters, "model", $"has {parameters} parameters; the limit is {limits.MaxModelParameters}");
                }
                catch (ArgumentException e)
                {
                    // Sizes in range that this kind still cannot build.
                    errors.Add(new SpecError("model", e.Message));
                }
            }
        }

        var training = spec.Training;
        if (training is null)
        {
            errors.Add(new SpecError("training", "is required"));
        }
        else
        {
            Require(training.Mode is not null && training.OnRoundFailure is not null, "training", "mode and onRoundFailure cannot be null");
            Require(string.Equals(training.Mode, ClassicMode, StringComparison.OrdinalIgnoreCase) || string.Equals(training.Mode, HierarchicalMode, StringComparison.OrdinalIgnoreCase), "training.mode", $"must be classic or hierarchical (got '{training.Mode}')");
            Require(training.Rounds is >= 1 and <= MaxRounds, "training.rounds", $"must be between 1 and {MaxRounds} (got {training.Rounds})");
            Require(training.Cycles is >= 1 and <= MaxRounds, "training.cycles", $"must be between 1 and {MaxRounds} (got {training.Cycles})");
            Require(training.MinFitClusters >= 1, "training.minFitClusters", $"must be at least 1 (got {training.MinFitClusters})");
            Require(training.LocalEpochs is >= 1 and <= 1000, "training.localEpochs", $"must be between 1 and 1000 (got {training.LocalEpochs})");
            Require(training.BatchSize is >= 1 and <= 100_000, "training.batchSize", $"must be between 1 and 100000 (got {training.BatchSize})");
            Require(double.IsFinite(training.LearningRate) && training.LearningRate > 0 && training.LearningRate <= 100, "training.learningRate", $"must be in (0, 100] (got {training.LearningRate})");
            Require(training.Momentum is >= 0 and <= MaxMomentum, "training.momentum", $"must be between 0 and {MaxMomentum} (got {training.Momentum})");
            Require(training.MinFitClients >= 1, "training.minFitClients", $"must be at least 1 (got {training.MinFitClients})");
            Require(training.MinAvailableClients >= training.MinFitClients, "training.minAvailableClients", $"must be at least minFitClients ({training.MinFitClients}) (got {training.MinAvailableClients})");
            Require(double.IsFinite(training.FractionFit) && training.FractionFit > 0 && training.FractionFit <= 1, "training.fractionFit", $"must be in (0, 1] (got {training.FractionFit})");
            Require(training.RoundTimeoutSeconds is >= 1 and <= 86_400, "training.roundTimeoutSeconds", $"must be between 1 and 86400 (got {training.RoundTimeoutSeconds})");
            Require(training.OnRoundFailure is not null && FailurePolicies.Contains(training.OnRoundFailure, StringComparer.OrdinalIgnoreCase), "training.onRoundFailure", $"must be fail or retry (got '{training.OnRoundFailure}')");
            Require(training.MaxRoundRetries is >= 0 and <= MaxRoundRetriesLimit, "training.maxRoundRetries", $"must be between 0 and {MaxRoundRetriesLimit} (got {training.MaxRoundRetries})");
        }

        if (spec.Validation?.MaxUpdateNorm is { } maxNorm)
        {
            Require(double.IsFinite(maxNorm) && maxNorm > 0, "validation.maxUpdateNorm", $"must be a positive number (got {maxNorm})");
        }

        if (spec.Validation?.MaxSampleCount is { } maxSamples)
        {
            Require(maxSamples is >= 1 and <= MaxSampleCountLimit, "validation.maxSampleCount", $"must be between 1 and {MaxSampleCountLimit} (got {maxSamples})");
        }

        if (spec.Privacy is { } privacy)
        {
            Require(double.IsFinite(privacy.ClippingNorm) && privacy.ClippingNorm is > 0 and <= MaxClippingNorm, "privacy.clippingNorm", $"must be in (0, {MaxClippingNorm}] (got {privacy.ClippingNorm})");
            Require(double.IsFinite(privacy.NoiseMultiplier) && privacy.NoiseMultiplier is >= 0 and <= 1000, "privacy.noiseMultiplier", $"must be between 0 and 1000 (got {privacy.NoiseMultiplier})");
        }

        if (spec.Strategy is null)
        {
            errors.Add(new SpecError("strategy", "is required"));
        }
        else if (spec.Strategy.Name is null)
        {
            errors.Add(new SpecError("strategy.name", "is required"));
        }
        else
        {
            try
            {
                StrategyCatalog.Create(spec.Strategy.Name, spec.Strategy.Parameters);
            }
            catch (ArgumentException e)
            {
                errors.Add(new SpecError("strategy", e.Message));
            }
        }

        if (spec.Simulation is { } simulation)
        {
            Require(simulation.Devices is >= 1 and <= MaxSimulatedDevices, "simulation.devices", $"must be between 1 and {MaxSimulatedDevices} (got {simulation.Devices})");
            Require(double.IsFinite(simulation.LatencySeconds) && simulation.LatencySeconds is >= 0 and <= 3600, "simulation.latencySeconds", $"must be between 0 and 3600 (got {simulation.LatencySeconds})");
            Require(double.IsFinite(simulation.SpeedSpread) && simulation.SpeedSpread is >= 1 and <= MaxSpeedSpread, "simulation.speedSpread", $"must be between 1 and {MaxSpeedSpread} (got {simulation.SpeedSpread})");
            Require(double.IsFinite(simulation.DropoutRate) && simulation.DropoutRate is >= 0 and < 1, "simulation.dropoutRate", $"must be at least 0 and below 1 (got {simulation.DropoutRate})");
            Require(IsBundled(spec.DataTag), "dataTag", $"simulation needs bundled data; '{spec.DataTag}' is not (use mnist or synthetic)");
            Require(simulation.ByzantineDevices >= 0 && simulation.ByzantineDevices <= simulation.Devices, "simulation.byzantineDevices", $"must be between 0 and the {simulation.Devices} simulated devices (got {simulation.ByzantineDevices})");
            Require(simulation.ByzantineAttack is not null && ByzantineAttack.IsKnown(simulation.ByzantineAttack), "simulation.byzantineAttack", $"must be one of {string.Join(", ", ByzantineAttack.Names)} (got '{simulation.ByzantineAttack}')");
            try
            {
                PartitionScheme.Parse(simulation.Partition ?? throw new FormatException("is required (iid or dirichlet:ALPHA)"));
            }
            catch (FormatException e)
            {
                errors.Add(new SpecError("simulation.partition", e.Message));
            }

            if (simulation.Clusters is { } clusters)
            {
                Require(clusters.All(FLOps.Abstractions.Edge.EdgeKeys.IsValidClusterName), "simulation.clusters", "names must be 1 to 100 letters, digits, '-', '_' or '.'");
                Require(clusters.Distinct(StringComparer.Ordinal).Count() == clusters.Count, "simulation.clusters", "names must be distinct");
                Require(clusters.Count <= simulation.Devices, "simulation.clusters", $"{clusters.Count} clusters need at least as many devices (got {simulation.Devices})");
                Require(training is null || clusters.Count >= training.MinFitClusters, "training.minFitClusters", $"needs {training?.MinFitClusters} clusters but the simulation has {clusters.Count}");
            }

            if (training is not null)
            {
                Require(simulation.Devices >= training.MinFitClients, "training.minFitClients", $"needs {training.MinFitClients} devices but the simulation has {simulation.Devices}");
                Require(simulation.Devices >= training.MinAvailableClients, "training.minAvailableClients", $"needs {training.MinAvailableClients} devices but the simulation has {simulation.Devices}");
            }

            if (string.Equals(spec.DataTag, Services.MnistDataCatalog.MnistTag, StringComparison.OrdinalIgnoreCase))
            {
                var trainCount = Mnist.Load().Train.Count;
                Require(simulation.Devices <= trainCount, "simulation.devices", $"cannot exceed the {trainCount} training samples");
            }
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidProjectSpecException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(ProjectSpec? spec, FlopsLimits? limits = null)
    {
        var errors = Validate(spec, limits);
        if (errors.Count > 0)
        {
            throw new InvalidProjectSpecException(errors);
        }
    }

    /// <summary>The spec with every default the service would apply written out, so that what is stored is what runs.</summary>
    public static ProjectSpec Normalize(ProjectSpec spec, FlopsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        limits ??= new FlopsLimits();
        ModelSpec model;
        if (IsUploaded(spec.Model))
        {
            // Its sizes are the uploaded graph's, which the project reads when it starts.
            model = spec.Model with { Kind = ImportedOnnxModel.KindName, HiddenUnits = null };
        }
        else
        {
            var kind = ModelCatalog.Find(spec.Model.Kind) ?? throw new ArgumentException($"Unknown model kind '{spec.Model.Kind}'; validate the spec first.", nameof(spec));
            var shape = Services.MnistDataCatalog.ShapeOf(spec.DataTag);
            var size = kind.Normalize(new ModelSize(spec.Model.Inputs ?? shape.Features, spec.Model.Classes ?? shape.Classes, spec.Model.HiddenUnits));
            model = spec.Model with { Kind = kind.Name, Inputs = size.Inputs, Classes = size.Classes, HiddenUnits = size.HiddenUnits };
        }

        return spec with
        {
            Model = model,
            Training = spec.Training with { Mode = spec.Training.Mode.ToLowerInvariant(), OnRoundFailure = spec.Training.OnRoundFailure.ToLowerInvariant() },
            Strategy = spec.Strategy with { Name = spec.Strategy.Name.ToLowerInvariant() },
            Validation = (spec.Validation ?? new ValidationSpec()) with { MaxSampleCount = spec.Validation?.MaxSampleCount ?? limits.MaxSampleCount },
            Simulation = spec.Simulation is { } simulation ? simulation with { ByzantineAttack = simulation.ByzantineAttack.ToLowerInvariant(), Clusters = simulation.Clusters is { Count: > 0 } c ? [.. c] : null } : null,
        };
    }

    /// <summary>Whether the model is an uploaded ONNX graph rather than a kind of <see cref="ModelCatalog"/>.</summary>
    public static bool IsUploaded(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return string.Equals(model.Kind, ImportedOnnxModel.KindName, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The architecture of a normalized model spec: its kind from <see cref="ModelCatalog"/> at its sizes.</summary>
    public static ModelArchitecture ArchitectureOf(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ModelCatalog.Architecture(model.Kind, new ModelSize(model.Inputs ?? Mnist.FeatureCount, model.Classes ?? Mnist.ClassCount, model.HiddenUnits));
    }

    private static bool IsBundled(string? dataTag) => Services.MnistDataCatalog.IsBundled(dataTag);
}
