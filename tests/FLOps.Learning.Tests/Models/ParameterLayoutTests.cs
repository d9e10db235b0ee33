using FLOps.Learning.Models;

namespace FLOps.Learning.Tests.Models;

public sealed class ParameterLayoutTests
{
    private static readonly ParameterLayout TwoLayers = new(
        new ParameterTensor("W1", 3, 2), new ParameterTensor("b1", 3), new ParameterTensor("W2", 2, 3), new ParameterTensor("b2", 2));

    [Fact]
    public void Tensors_follow_one_another_in_the_flat_vector()
    {
        Assert.Equal(17, TwoLayers.ParameterCount);
        Assert.Equal([0L, 6, 9, 15], Enumerable.Range(0, 4).Select(TwoLayers.OffsetOf));

        var parameters = Enumerable.Range(0, 17).Select(i => (float)i).ToArray();
        Assert.Equal([9f, 10, 11, 12, 13, 14], TwoLayers.Slice(parameters, 2).ToArray());
        Assert.Throws<ArgumentException>(() => TwoLayers.Slice(new float[16], 0));
    }

    [Fact]
    public void Layouts_and_tensors_are_equal_by_names_and_shapes_in_order()
    {
        var same = new ParameterLayout([new ParameterTensor("W1", [3, 2]), new ParameterTensor("b1", 3), new ParameterTensor("W2", 2, 3), new ParameterTensor("b2", 2)]);
        var transposed = new ParameterLayout(new ParameterTensor("W1", 2, 3), new ParameterTensor("b1", 3), new ParameterTensor("W2", 2, 3), new ParameterTensor("b2", 2));

        Assert.Equal(TwoLayers, same);
        Assert.Equal(TwoLayers.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(TwoLayers, transposed);
        Assert.Equal(new ParameterTensor("W", 10, 784), new ParameterTensor("W", [10, 784]));
        Assert.NotEqual(new ParameterTensor("W", 10, 784), new ParameterTensor("w", 10, 784));
    }

    [Fact]
    public void Counts_are_64_bit_so_a_layout_larger_than_an_array_can_still_be_measured()
    {
        var huge = new ParameterLayout(new ParameterTensor("W", 100_000, 1_000_000), new ParameterTensor("b", 100_000));

        Assert.Equal(100_000_100_000L, huge.ParameterCount);
    }

    [Fact]
    public void A_layout_refuses_nameless_empty_or_repeated_tensors()
    {
        Assert.Throws<ArgumentException>(() => new ParameterTensor(" ", 2));
        Assert.Throws<ArgumentException>(() => new ParameterTensor("W"));
        Assert.Throws<ArgumentException>(() => new ParameterTensor("W", 2, 0));
        Assert.Throws<ArgumentException>(() => new ParameterLayout());
        Assert.Throws<ArgumentException>(() => new ParameterLayout(new ParameterTensor("W", 2), new ParameterTensor("W", 3)));
    }

    [Fact]
    public void A_tensor_keeps_its_own_copy_of_the_shape()
    {
        int[] shape = [10, 784];
        var tensor = new ParameterTensor("W", shape);

        shape[0] = 1;

        Assert.Equal([10, 784], tensor.Shape);
    }
}
