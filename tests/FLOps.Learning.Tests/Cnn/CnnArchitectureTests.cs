using FLOps.Learning.Models.Cnn;

namespace FLOps.Learning.Tests.Cnn;

public sealed class CnnArchitectureTests
{
    [Fact]
    public void The_reference_architecture_has_225034_parameters_in_pytorch_order()
    {
        var architecture = new CnnArchitecture();

        Assert.Equal(784, architecture.InputCount);
        Assert.Equal((26, 13, 11, 5), (architecture.Conv1Height, architecture.Pool1Height, architecture.Conv2Height, architecture.Pool2Height));
        Assert.Equal(1600, architecture.FlattenCount);
        Assert.Equal(225_034, architecture.Layout.ParameterCount);
        Assert.Equal(
            "conv1.weight[32×1×3×3], conv1.bias[32], conv2.weight[64×32×3×3], conv2.bias[64], fc1.weight[128×1600], fc1.bias[128], fc2.weight[10×128], fc2.bias[10]",
            architecture.Layout.ToString());
    }

    [Theory]
    [InlineData(8, 8)] // 8 → 6 → 3 → 1 → 0
    [InlineData(28, 4)]
    public void An_image_too_small_for_two_convolutions_and_poolings_is_refused(int height, int width)
    {
        var architecture = new CnnArchitecture(Height: height, Width: width);

        Assert.Throws<ArgumentException>(architecture.Validate);
        Assert.Throws<ArgumentException>(() => architecture.Layout);
    }

    [Fact]
    public void Sizes_must_be_positive()
    {
        Assert.Throws<ArgumentException>(() => new CnnArchitecture(Conv1Filters: 0).Validate());
        Assert.Throws<ArgumentException>(() => new CnnArchitecture(ClassCount: 0).Validate());
        Assert.Throws<ArgumentException>(() => new CnnArchitecture(PoolSize: -2).Layout);
    }
}
