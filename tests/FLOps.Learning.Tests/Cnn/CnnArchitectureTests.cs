using FLOps.Learning.Models.Cnn;

namespace FLOps.Learning.Tests.Cnn;

public sealed class CnnArchitectureTests
{
    [Fact]
    public void The_reference_architecture_has_225034_parameters_in_pytorch_order()
    {
        var architecture = CnnArchitecture.Mnist;

        Assert.Equal(784, architecture.InputCount);
        Assert.Equal((26, 13, 11, 5), (architecture.Conv1Height, architecture.Pool1Height, architecture.Conv2Height, architecture.Pool2Height));
        Assert.Equal(1600, architecture.FlattenCount);
        Assert.Equal(225_034, architecture.ParameterCount);

        var tensors = architecture.Tensors;
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            tensors.Select(t => t.Name));
        Assert.Equal([32, 1, 3, 3], tensors[0].Shape);
        Assert.Equal([64, 32, 3, 3], tensors[2].Shape);
        Assert.Equal([128, 1600], tensors[4].Shape);
        Assert.Equal([10, 128], tensors[6].Shape);
        Assert.Equal([320, 18_496, 204_928, 1_290], new[] { 0, 2, 4, 6 }.Select(i => tensors[i].Length + tensors[i + 1].Length));

        // Contiguous, in order, covering the whole vector.
        var offset = 0;
        foreach (var tensor in tensors)
        {
            Assert.Equal(offset, tensor.Offset);
            Assert.Equal(tensor.Shape.Aggregate(1, (x, y) => x * y), tensor.Length);
            offset += tensor.Length;
        }

        Assert.Equal(architecture.ParameterCount, offset);
        Assert.Equal(tensors[4], architecture.Tensor("fc1.weight"));
    }

    [Fact]
    public void CountParameters_works_in_64_bits_past_what_an_int_holds()
    {
        var count = CnnArchitecture.CountParameters(28, 28, 1, 32, 64, 3, 2, hiddenCount: 20_000_000, classCount: 10);

        Assert.True(count > int.MaxValue, $"{count}");
        Assert.Equal(320 + 18_496 + (1600L * 20_000_000) + 20_000_000 + (10L * 20_000_000) + 10, count);
        Assert.Throws<OverflowException>(() => new CnnArchitecture(HiddenCount: 20_000_000).ParameterCount);
    }

    [Theory]
    [InlineData(8, 8)] // 8 → 6 → 3 → 1 → 0
    [InlineData(28, 4)]
    public void An_image_too_small_for_two_convolutions_and_poolings_is_refused(int height, int width)
    {
        var architecture = new CnnArchitecture(Height: height, Width: width);

        Assert.Throws<ArgumentException>(architecture.Validate);
        Assert.Throws<ArgumentException>(() => architecture.ParameterCount);
    }

    [Fact]
    public void Sizes_must_be_positive_and_classes_at_least_two()
    {
        Assert.Throws<ArgumentException>(() => new CnnArchitecture(Conv1Filters: 0).Validate());
        Assert.Throws<ArgumentException>(() => new CnnArchitecture(ClassCount: 1).Validate());
        Assert.Throws<ArgumentException>(() => CnnArchitecture.CountParameters(28, 28, 1, 32, 64, 3, -2, 128, 10));
    }
}
