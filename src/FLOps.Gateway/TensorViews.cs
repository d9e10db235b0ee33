using FLOps.Abstractions.Models;
using FLOps.Protocol;

namespace FLOps.Gateway;

/// <summary>A parameter layout as the wire shows it, for tasks and for uploaded models alike.</summary>
public static class TensorViews
{
    public static IReadOnlyList<TensorView> Of(IEnumerable<TensorShape> layout) =>
        [.. layout.Select(tensor => new TensorView(tensor.Name, [.. tensor.Shape.Select(d => (long)d)]))];
}
