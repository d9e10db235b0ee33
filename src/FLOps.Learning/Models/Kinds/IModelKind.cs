using Onnx;

namespace FLOps.Learning.Models.Kinds;

/// <summary>
/// Everything that differs from one kind of model to another, in one place: its name, how its
/// sizes make a parameter layout, how it starts, its forward pass and gradient, and its ONNX graph.
/// What all kinds share lives around it: the SGD loop with its shuffling, batches, momentum and FedProx term
/// (<see cref="Training.LocalTrainer"/>), softmax, log-loss and accuracy
/// (<see cref="Evaluation.ModelEvaluator"/>), and the ONNX interface (<see cref="Onnx.OnnxModelExporter"/>).
/// </summary>
/// <remarks>
/// A kind is stateless and one instance serves every thread; what one computation needs is in the
/// <see cref="ModelNetwork"/> it creates. <see cref="ModelCatalog.Kinds"/> lists the kinds the
/// service knows: adding one is a class implementing this interface and one line there.
/// </remarks>
public interface IModelKind
{
    /// <summary>The name in specs (<c>model.kind</c>), tasks and <c>flops demo --model</c>, in lower case.</summary>
    string Name { get; }

    /// <summary>What the model computes, in one line for help texts.</summary>
    string Description { get; }

    /// <summary>Local training that suits this kind on the bundled digits: <c>flops demo</c>'s defaults for it.</summary>
    SuggestedTraining SuggestedTraining { get; }

    /// <summary>
    /// The sizes with this kind's default for each one it reads that was left out, and without the
    /// ones it does not read, so that one model has one spelling. Checks nothing.
    /// </summary>
    ModelSize Normalize(ModelSize size);

    /// <summary>The named tensors of the flat parameter vector at these (normalised) sizes, in its order.</summary>
    /// <exception cref="ArgumentException">
    /// A size this kind needs is missing or one it cannot build. The validators show the message to
    /// whoever sent the spec or the task, so it names the size and carries no parameter name.
    /// </exception>
    ParameterLayout Layout(ModelSize size);

    /// <summary>The model at these (normalised) sizes as a noun phrase for messages, e.g. <c>a softmax 784→10</c>.</summary>
    string Describe(ModelSize size);

    /// <summary>Writes fresh parameters, reproducible from <paramref name="seed"/>, into zeroed <paramref name="parameters"/>.</summary>
    void Initialize(ModelArchitecture architecture, Span<float> parameters, int seed);

    /// <summary>The forward pass and the gradient at <paramref name="architecture"/>, with scratch for one computation.</summary>
    /// <param name="architecture">The model, of this kind.</param>
    /// <param name="threads">
    /// Threads one batch may use. A kind whose batches split into parallel parts (<c>cnn</c>) reads
    /// it; the others compute on the calling thread. Results must not depend on it.
    /// </param>
    ModelNetwork CreateNetwork(ModelArchitecture architecture, int threads = 1);

    /// <summary>
    /// Adds the nodes that compute the logits from <see cref="Onnx.OnnxModelExporter.FeaturesName"/>
    /// and returns the name of their output. The graph already holds one initialiser per tensor of
    /// <see cref="ModelArchitecture.Layout"/>, under its name; the exporter adds the softmax and the arg-max.
    /// </summary>
    string AddOnnxNodes(GraphProto graph, ModelArchitecture architecture);

    /// <summary>The parameters at these sizes, in checked 64-bit arithmetic, without allocating them.</summary>
    /// <exception cref="ArgumentException">As <see cref="Layout"/>.</exception>
    long CountParameters(ModelSize size) => Layout(Normalize(size)).ParameterCount;
}
