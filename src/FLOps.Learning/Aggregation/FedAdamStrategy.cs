namespace FLOps.Learning.Aggregation;

/// <summary>
/// FedAdam, as Flower's current FedAdam: v ← β2·v + (1 − β2)·Δ², with Flower's bias-corrected
/// step η_t = η·√(1 − β2^(t+1)) / (1 − β1^(t+1)) where t is the round number (Flower's
/// <c>server_round</c>, including its "+1").
/// </summary>
/// <remarks>Defaults as Flower: eta 0.1, beta1 0.9, beta2 0.99, tau 1e-9.</remarks>
public sealed class FedAdamStrategy(double eta = FedAdamStrategy.DefaultEta, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-9)
    : FedOptStrategy(StrategyName, eta, beta1, beta2, tau)
{
    public const string StrategyName = "fedadam";
    public const double DefaultEta = 0.1;

    public override string Name => StrategyName;

    protected override double NextSecondMoment(double v, double deltaSquared) => (Beta2 * v) + ((1 - Beta2) * deltaSquared);

    protected override double StepSize(int round)
    {
        var t = Math.Max(round, 0) + 1.0;
        return Eta * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
    }

    internal static FedAdamStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "eta", "beta1", "beta2", "tau");
        return new FedAdamStrategy(p.Get("eta", DefaultEta), p.Get("beta1", 0.9), p.Get("beta2", 0.99), p.Get("tau", 1e-9));
    }
}
