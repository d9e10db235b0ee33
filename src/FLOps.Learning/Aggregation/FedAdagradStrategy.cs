namespace FLOps.Learning.Aggregation;

/// <summary>FedAdagrad, as Flower's: v ← v + Δ², and (Flower fixes β1 = 0) m = Δ unless <c>beta1</c> is given.</summary>
/// <remarks>Defaults as Flower: eta 0.1, beta1 0, tau 1e-9. Takes no <c>beta2</c>.</remarks>
public sealed class FedAdagradStrategy(double eta = FedAdagradStrategy.DefaultEta, double beta1 = 0, double tau = 1e-9)
    : FedOptStrategy(StrategyName, eta, beta1, beta2: 0, tau)
{
    public const string StrategyName = "fedadagrad";
    public const double DefaultEta = 0.1;

    public override string Name => StrategyName;

    protected override double NextSecondMoment(double v, double deltaSquared) => v + deltaSquared;

    internal static FedAdagradStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "eta", "beta1", "tau");
        return new FedAdagradStrategy(p.Get("eta", DefaultEta), p.Get("beta1", 0), p.Get("tau", 1e-9));
    }
}
