using FLOps.Learning.Aggregation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FLOps.Learning.Tests.Strategies;

/// <summary>Properties every strategy keeps, and the robustness the robust ones promise.</summary>
public class StrategyPropertyTests
{
    private const int Dimension = 4;

    private static readonly Gen<float> Value = Gen.Choose(-10_000, 10_000).Select(i => i / 100f);

    private static readonly Gen<(float[] Parameters, long Samples)> UpdateGen =
        from values in Gen.ArrayOf(Value, Dimension)
        from samples in Gen.Choose(1, 1_000)
        select (values, (long)samples);

    /// <summary>A global model, 3 to 8 updates (enough for Krum with f = 0), and a seed to shuffle them.</summary>
    private static readonly Arbitrary<(float[] Global, (float[] Parameters, long Samples)[] Updates, int Seed)> RoundGen =
        (from global in Gen.ArrayOf(Value, Dimension)
         from count in Gen.Choose(3, 8)
         from updates in Gen.ArrayOf(UpdateGen, count)
         from seed in Gen.Choose(0, int.MaxValue)
         select (global, updates, seed)).ToArbitrary();

    private static readonly string[] Averaging = ["fedavg", "fedprox", "fedmedian", "fedtrimmedavg", "krum", "multikrum"];

    [Property(MaxTest = 200)]
    public Property No_strategy_depends_on_the_order_in_which_updates_arrive() =>
        Prop.ForAll(RoundGen, round =>
        {
            var shuffled = round.Updates.ToArray();
            new Random(round.Seed).Shuffle(shuffled);
            return StrategyCatalog.Names.All(name =>
            {
                // Two rounds, so that the server optimisers' state takes part as well.
                var (first, state) = Rounds.RunFresh(name, null, null, round.Global, 1, round.Updates);
                var (second, _) = Rounds.RunFresh(name, null, state, first, 2, round.Updates.Reverse());
                var (firstShuffled, stateShuffled) = Rounds.RunFresh(name, null, null, round.Global, 1, shuffled);
                var (secondShuffled, _) = Rounds.RunFresh(name, null, stateShuffled, firstShuffled, 2, shuffled);
                return first.SequenceEqual(firstShuffled) && second.SequenceEqual(secondShuffled);
            });
        });

    [Property(MaxTest = 200)]
    public Property Averaging_strategies_stay_within_each_coordinates_range_of_the_updates() =>
        Prop.ForAll(RoundGen, round => Averaging.All(name =>
        {
            var model = Rounds.Run(StrategyCatalog.Create(name), round.Global, 1, round.Updates);
            return Enumerable.Range(0, Dimension).All(d =>
                model[d] >= round.Updates.Min(u => u.Parameters[d]) && model[d] <= round.Updates.Max(u => u.Parameters[d]));
        }));

    /// <summary>Honest updates in [−100, 100], then outliers of magnitude about a million, in random directions.</summary>
    private static Gen<(float[][] Honest, float[][] Outliers)> Attacked(Gen<(int Honest, int Outliers)> counts) =>
        from count in counts
        from honest in Gen.ArrayOf(Gen.ArrayOf(Value, Dimension), count.Honest)
        from outliers in Gen.ArrayOf(Gen.ArrayOf(Gen.Elements(-1e6f, -3e6f, 1e6f, 2e6f), Dimension), count.Outliers)
        select (honest, outliers);

    [Property(MaxTest = 200)]
    public Property The_median_stays_within_the_honest_range_while_fewer_than_half_are_outliers() =>
        Prop.ForAll(
            Attacked(from honest in Gen.Choose(1, 12) from outliers in Gen.Choose(0, honest - 1) select (honest, outliers)).ToArbitrary(),
            attack => WithinHonestRange(new FedMedianStrategy(), attack));

    [Property(MaxTest = 200)]
    public Property The_trimmed_mean_stays_within_the_honest_range_while_at_most_beta_n_are_outliers() =>
        Prop.ForAll(
            Attacked(
                from n in Gen.Choose(1, 30)
                from beta in Gen.Elements(0.1, 0.2, 0.3, 0.45)
                from outliers in Gen.Choose(0, (int)(beta * n))
                select (n - outliers, outliers)).ToArbitrary(),
            attack =>
            {
                var n = attack.Honest.Length + attack.Outliers.Length;
                var beta = new[] { 0.1, 0.2, 0.3, 0.45 }.First(b => attack.Outliers.Length <= (int)(b * n));
                return WithinHonestRange(new FedTrimmedAvgStrategy(beta), attack);
            });

    [Property(MaxTest = 200)]
    public Property Krum_never_picks_an_outlier_and_MultiKrum_averages_only_honest_updates_when_n_exceeds_2f_plus_2() =>
        Prop.ForAll(
            (from f in Gen.Choose(0, 4)
             from honest in Gen.Choose(f + 3, f + 8)
             from centre in Gen.ArrayOf(Value, Dimension)
             from noise in Gen.ArrayOf(Gen.ArrayOf(Gen.Choose(-100, 100).Select(i => i / 100f), Dimension), honest)
             from colluding in Gen.Elements(true, false)
             from far in Gen.ArrayOf(Gen.ArrayOf(Gen.Elements(-1000f, -700f, 800f, 1000f), Dimension), f)
             select (f, centre, noise, colluding, far)).ToArbitrary(),
            attack =>
            {
                var honest = attack.noise.Select(n => attack.centre.Zip(n, (c, e) => c + e).ToArray()).ToArray();
                var outliers = attack.far.Select((o, i) => attack.centre.Zip(attack.colluding ? attack.far[0] : o, (c, e) => c + e).ToArray()).ToArray();
                var updates = honest.Concat(outliers).Select(p => (p, 10L)).ToArray();

                var krum = Rounds.Run(new KrumStrategy(attack.f), attack.centre, 1, updates);
                var multiKrum = Rounds.Run(new MultiKrumStrategy(attack.f), attack.centre, 1, updates);
                return honest.Any(h => h.SequenceEqual(krum)) &&
                    Enumerable.Range(0, Dimension).All(d => multiKrum[d] >= honest.Min(h => h[d]) && multiKrum[d] <= honest.Max(h => h[d]));
            });

    [Property(MaxTest = 100)]
    public Property A_fresh_strategy_that_imports_the_state_continues_exactly_where_a_long_lived_one_would() =>
        Prop.ForAll(
            (from name in Gen.Elements("fedavgm", "fedadam", "fedyogi", "fedadagrad")
             from global in Gen.ArrayOf(Value, Dimension)
             from rounds in Gen.ArrayOf(Gen.NonEmptyListOf(UpdateGen).Select(l => l.ToArray()), 4)
             select (name, global, rounds)).ToArbitrary(),
            run =>
            {
                var longLived = StrategyCatalog.Create(run.name);
                var kept = run.global;
                var carried = run.global;
                StrategyState? state = null;
                for (var r = 0; r < run.rounds.Length; r++)
                {
                    kept = Rounds.Run(longLived, kept, r + 1, run.rounds[r]);
                    (carried, state) = Rounds.RunFresh(run.name, null, state, carried, r + 1, run.rounds[r]);
                    if (!kept.SequenceEqual(carried))
                    {
                        return false;
                    }
                }

                return true;
            });

    private static bool WithinHonestRange(IAggregationStrategy strategy, (float[][] Honest, float[][] Outliers) attack)
    {
        var updates = attack.Honest.Concat(attack.Outliers).Select((p, i) => (p, (long)(i + 1))).ToArray();
        var model = Rounds.Run(strategy, new float[Dimension], 1, updates);
        return Enumerable.Range(0, Dimension).All(d =>
            model[d] >= attack.Honest.Min(h => h[d]) && model[d] <= attack.Honest.Max(h => h[d]));
    }
}
