using FLOps.Abstractions.Models;
using FLOps.Learning.Models;

namespace FLOps.Grains.Projects;

/// <summary>A model's parameter layout as tasks carry it to learners.</summary>
public static class TensorShapes
{
    public static IReadOnlyList<TensorShape> Of(ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return [.. layout.Tensors.Select(tensor => new TensorShape(tensor.Name, [.. tensor.Shape]))];
    }
}
