namespace FLOps.Learning.Aggregation;

/// <summary>FedYogi, as Flower's: v ← v − (1 − β2)·Δ²·sign(v − Δ²); no bias correction.</summary>
/// <remarks>Defaults as Flower: eta 0.01, beta1 0.9, beta2 0.99, tau 0.001.</remarks>
public sealed class FedYogiStrategy(double eta = FedYogiStrategy.DefaultEta, double beta1 = 0.9, double beta2 = 0.99, double tau = FedYogiStrategy.DefaultTau)
    : FedOptStrategy(StrategyName, eta, beta1, beta2, tau)
{
    public const string StrategyName = "fedyogi";
    public const double DefaultEta = 0.01;
    public const double DefaultTau = 1e-3;

    public override string Name => StrategyName;

    protected override double NextSecondMoment(double v, double deltaSquared) =>
        v - ((1 - Beta2) * deltaSquared * Math.Sign(v - deltaSquared));

    internal static FedYogiStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "eta", "beta1", "beta2", "tau");
        return new FedYogiStrategy(p.Get("eta", DefaultEta), p.Get("beta1", 0.9), p.Get("beta2", 0.99), p.Get("tau", DefaultTau));
    }
}
