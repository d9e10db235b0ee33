using System.Numerics.Tensors;

namespace FLOps.Learning.Aggregation;

/// <summary>
/// FedAvg with server momentum (Hsu et al., 2019), as Flower's FedAvgM: the pseudo-gradient
/// Δ = global − fedavg(updates) feeds a momentum buffer v ← β·v + Δ, and the next global model
/// is global − η·v.
/// </summary>
/// <remarks>
/// Parameters: <c>serverLearningRate</c> η in (0, 1000], default 1; <c>serverMomentum</c> β in
/// [0, 1), default 0.9 (Flower defaults to 0, under which FedAvgM is FedAvg; 0.9 is the value
/// of Hsu et al.). As in Flower, with η = 1 and β = 0 the FedAvg result is returned untouched,
/// and with β = 0 no momentum is kept. The buffer is state vector <c>momentum</c>; it starts at
/// zero, so the first step is v = Δ, as in Flower's first round.
/// </remarks>
public sealed class FedAvgMStrategy : ServerOptimizerStrategy
{
    public const string StrategyName = "fedavgm";
    public const string MomentumKey = "momentum";
    public const double DefaultServerLearningRate = 1.0;
    public const double DefaultServerMomentum = 0.9;

    public FedAvgMStrategy(double serverLearningRate = DefaultServerLearningRate, double serverMomentum = DefaultServerMomentum)
    {
        ServerLearningRate = StrategyParameters.CheckReal(StrategyName, "serverLearningRate", serverLearningRate, 0, 1000, minExclusive: true);
        ServerMomentum = StrategyParameters.CheckReal(StrategyName, "serverMomentum", serverMomentum, 0, 1, maxExclusive: true);
    }

    public override string Name => StrategyName;

    public double ServerLearningRate { get; }

    public double ServerMomentum { get; }

    protected override float[] Step(float[] global, float[] average, int round, IDictionary<string, float[]> vectors)
    {
        if (ServerMomentum == 0 && ServerLearningRate == 1)
        {
            return average;
        }

        var pseudoGradient = new float[global.Length];
        TensorPrimitives.Subtract(global, average, pseudoGradient);
        if (ServerMomentum > 0)
        {
            var momentum = VectorOrZeros(vectors, MomentumKey, global.Length);
            TensorPrimitives.MultiplyAdd(momentum, (float)ServerMomentum, pseudoGradient, momentum);
            pseudoGradient = momentum;
        }

        var next = new float[global.Length];
        TensorPrimitives.MultiplyAdd(pseudoGradient, (float)-ServerLearningRate, global, next);
        return next;
    }

    internal static FedAvgMStrategy FromParameters(IReadOnlyDictionary<string, double>? parameters)
    {
        var p = StrategyParameters.Read(StrategyName, parameters, "serverLearningRate", "serverMomentum");
        return new FedAvgMStrategy(p.Get("serverLearningRate", DefaultServerLearningRate), p.Get("serverMomentum", DefaultServerMomentum));
    }
}
