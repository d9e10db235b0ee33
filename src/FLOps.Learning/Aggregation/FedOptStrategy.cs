namespace FLOps.Learning.Aggregation;

/// <summary>
/// Flower's FedOpt family (Reddi et al., 2021, "Adaptive Federated Optimization"): with
/// Δ = fedavg(updates) − global, the first moment m ← β1·m + (1 − β1)·Δ, a second moment v
/// updated per variant, and next = global + η_t·m / (√v + τ).
/// </summary>
/// <remarks>
/// Moments are state vectors <c>m</c> and <c>v</c>, starting at zero as in Flower; they are
/// kept in single precision, like Flower's float32 arrays, while each coordinate's step is
/// computed in double. Shared parameters: <c>eta</c> (η, server learning rate) in (0, 1000],
/// <c>tau</c> (τ, adaptivity) in (0, 1], and where the variant takes them <c>beta1</c> and
/// <c>beta2</c> in [0, 1). Flower's <c>eta_l</c> (the client learning rate) is the project's
/// training learning rate here and is not a strategy parameter.
/// </remarks>
public abstract class FedOptStrategy : ServerOptimizerStrategy
{
    public const string FirstMomentKey = "m";
    public const string SecondMomentKey = "v";

    protected FedOptStrategy(string name, double eta, double beta1, double beta2, double tau)
    {
        Eta = StrategyParameters.CheckReal(name, "eta", eta, 0, 1000, minExclusive: true);
        Beta1 = StrategyParameters.CheckReal(name, "beta1", beta1, 0, 1, maxExclusive: true);
        Beta2 = StrategyParameters.CheckReal(name, "beta2", beta2, 0, 1, maxExclusive: true);
        Tau = StrategyParameters.CheckReal(name, "tau", tau, 0, 1, minExclusive: true);
    }

    public double Eta { get; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Tau { get; }

    /// <summary>The second moment after a step with squared pseudo-gradient <paramref name="deltaSquared"/>.</summary>
    protected abstract double NextSecondMoment(double v, double deltaSquared);

    /// <summary>η_t: the server learning rate used in round <paramref name="round"/>; <see cref="Eta"/> unless the variant corrects it.</summary>
    protected virtual double StepSize(int round) => Eta;

    protected sealed override float[] Step(float[] global, float[] average, int round, IDictionary<string, float[]> vectors)
    {
        var m = VectorOrZeros(vectors, FirstMomentKey, global.Length);
        var v = VectorOrZeros(vectors, SecondMomentKey, global.Length);
        var eta = StepSize(round);
        var next = new float[global.Length];
        for (var i = 0; i < next.Length; i++)
        {
            var delta = (double)average[i] - global[i];
            m[i] = (float)((Beta1 * m[i]) + ((1 - Beta1) * delta));
            v[i] = (float)NextSecondMoment(v[i], delta * delta);
            next[i] = (float)(global[i] + (eta * m[i] / (Math.Sqrt(v[i]) + Tau)));
        }

        return next;
    }
}
