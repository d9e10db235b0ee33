using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Learning.Tests;

public class ModelInitializerTests
{
    [Fact]
    public void Parameters_match_the_architecture_layout_length()
    {
        Assert.Equal(7850, ModelInitializer.Create(SoftmaxKind.Architecture(784, 10), 1).Length);
        Assert.Equal(101_770, ModelInitializer.Create(MlpKind.Architecture(784, 10), 1).Length);
    }

    [Fact]
    public void Mlp_weights_are_random_but_reproducible_and_biases_start_at_zero()
    {
        var architecture = MlpKind.Architecture(inputs: 6, classes: 3, hiddenUnits: 4);

        var first = ModelInitializer.Create(architecture, seed: 42);
        var again = ModelInitializer.Create(architecture, seed: 42);
        var other = ModelInitializer.Create(architecture, seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.All(first.AsSpan(24, 4).ToArray(), b => Assert.Equal(0f, b));
        Assert.All(first.AsSpan(40, 3).ToArray(), b => Assert.Equal(0f, b));
        Assert.Contains(first.AsSpan(0, 24).ToArray(), w => w != 0f);
        Assert.All(first.AsSpan(0, 24).ToArray(), w => Assert.InRange(w, -1.0001f, 1.0001f)); // He limit √(6/6)
    }
}
