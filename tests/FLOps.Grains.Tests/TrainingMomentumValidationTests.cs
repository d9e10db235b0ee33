using FLOps.Abstractions.Projects;
using FLOps.Grains.Projects;

namespace FLOps.Grains.Tests;

/// <summary><c>training.momentum</c>: heavy-ball momentum of the devices' local SGD, in [0, 1).</summary>
public sealed class TrainingMomentumValidationTests
{
    [Fact]
    public void A_spec_without_momentum_trains_with_plain_sgd()
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1);

        Assert.Empty(ProjectSpecValidator.Validate(spec));
        Assert.Equal(0, ProjectSpecValidator.Normalize(spec).Training.Momentum);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void Momentum_from_zero_up_to_below_one_is_valid_and_kept(double momentum)
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Training = Specs.Simulated(2, 1).Training with { Momentum = momentum } };

        Assert.Empty(ProjectSpecValidator.Validate(spec));
        Assert.Equal(momentum, ProjectSpecValidator.Normalize(spec).Training.Momentum);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(0.99999999999)] // below one as a double, but one as the float the devices train with
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Momentum_outside_zero_to_one_is_refused_naming_the_field(double momentum)
    {
        var spec = Specs.Simulated(devices: 2, rounds: 1) with { Training = Specs.Simulated(2, 1).Training with { Momentum = momentum } };

        var error = Assert.Single(ProjectSpecValidator.Validate(spec));

        Assert.Equal("training.momentum", error.Field);
        Assert.Equal(FormattableString.Invariant($"must be in [0, 1) (got {momentum})"), error.Message);
    }
}
