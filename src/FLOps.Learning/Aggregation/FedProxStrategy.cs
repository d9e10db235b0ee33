namespace FLOps.Learning.Aggregation;

/// <summary>
/// FedProx (Li et al., 2020): clients add the proximal term (mu/2)·‖w − w_global‖² to their
/// local loss; the server aggregates exactly as FedAvg does (as Flower's FedProx does).
/// </summary>
/// <remarks>
/// The proximal term lives in the local trainer (<c>TrainingOptions.ProximalMu</c>); this
/// strategy only carries mu, as <see cref="ProximalMu"/>, for whoever builds the training task.
/// Flower requires <c>proximal_mu</c>; here it is parameter <c>mu</c> in [0, 1000], default
/// <see cref="DefaultMu"/> (a common choice in the FedProx paper's experiments).
/// </remarks>
public sealed class FedProxStrategy : AggregationStrategyBase
{
    public const string StrategyName = "fedprox";
    public const double DefaultMu = 0.1;
    public const double MaxMu = 1000;

    public FedProxStrategy(double mu = DefaultMu)
    {
        ProximalMu = (float)StrategyParameters.CheckReal(StrategyName, "mu", mu, 0, MaxMu);
    }

    public override string Name => StrategyName;

    public override float ProximalMu { get; }

    public override IAggregationRound BeginRound(ReadOnlyMemory<float> globalParameters, int round) =>
        new WeightedMeanRound(globalParameters.Length);

    internal static FedProxStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "mu");
        return new FedProxStrategy(p.Get("mu", DefaultMu));
    }
}
