using FLOps.Learning.Aggregation;

namespace FLOps.Learning.Tests;

public class ParticipantSelectionTests
{
    private static readonly IAggregationStrategy Strategy = new FedAvgStrategy();

    private static string[] Clients(int count) => [.. Enumerable.Range(0, count).Select(i => $"device-{i:D3}")];

    [Theory]
    [InlineData(10, 0.5, 1, 5)]
    [InlineData(10, 0.1, 3, 3)]   // MinFitClients wins over a small fraction
    [InlineData(30, 0.1, 0, 3)]   // 0.1·30 is 3.0000000000000004 in doubles, still 3
    [InlineData(7, 0.5, 0, 4)]    // fractions round up
    [InlineData(4, 1.0, 10, 4)]   // never more than are available
    [InlineData(5, 0.0, 0, 0)]
    [InlineData(0, 1.0, 2, 0)]
    public void The_number_chosen_follows_fraction_and_minimum_capped_at_availability(int available, double fraction, int minimum, int expected)
    {
        var chosen = Strategy.SelectParticipants(Clients(available), new ParticipantSelection(fraction, minimum, Seed: 1, Round: 1));

        Assert.Equal(expected, chosen.Count);
        Assert.Equal(chosen.Count, chosen.Distinct().Count());
        Assert.Subset(Clients(available).ToHashSet(), chosen.ToHashSet());
    }

    [Fact]
    public void The_choice_is_reproducible_for_a_seed_and_round_whatever_the_input_order()
    {
        var clients = Clients(50);
        var selection = new ParticipantSelection(0.2, 2, Seed: 9, Round: 4);

        var first = Strategy.SelectParticipants(clients, selection);
        var again = Strategy.SelectParticipants([.. clients.Reverse()], selection);

        Assert.Equal(first, again);
        Assert.Equal(first.Order(StringComparer.Ordinal), first);
    }

    [Fact]
    public void Different_rounds_choose_different_clients_when_there_are_many()
    {
        var clients = Clients(100);

        var chosen = Enumerable.Range(1, 5)
            .Select(round => string.Join(",", Strategy.SelectParticipants(clients, new ParticipantSelection(0.1, 1, Seed: 3, Round: round))))
            .ToHashSet();

        Assert.Equal(5, chosen.Count);
    }

    [Fact]
    public void Duplicate_ids_are_counted_once()
    {
        var chosen = Strategy.SelectParticipants(["a", "b", "a", "c"], new ParticipantSelection(1.0, 0, 1, 1));

        Assert.Equal(["a", "b", "c"], chosen);
    }

    [Theory]
    [InlineData(-0.1, 0)]
    [InlineData(1.5, 0)]
    [InlineData(double.NaN, 0)]
    [InlineData(0.5, -1)]
    public void Nonsensical_selections_are_rejected(double fraction, int minimum) =>
        Assert.Throws<ArgumentException>(() => Strategy.SelectParticipants(Clients(3), new ParticipantSelection(fraction, minimum, 1, 1)));

    [Theory]
    [InlineData(50, 0.2, 2, 9, 4)]
    [InlineData(1_000, 0.01, 0, 42, 1)]
    [InlineData(7, 0.5, 0, 1, 3)]
    [InlineData(12, 1.0, 0, 5, 2)]
    public void Sampling_positions_picks_what_sampling_the_sorted_ids_picks(int available, double fraction, int minimum, int seed, int round)
    {
        var clients = Clients(available);
        var selection = new ParticipantSelection(fraction, minimum, seed, round);

        var positions = ParticipantSampler.SelectIndexes(available, selection);

        Assert.Equal(Strategy.SelectParticipants(clients, selection), positions.Select(p => clients[p]));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Sampling_a_few_positions_of_a_million_gives_distinct_positions_in_range()
    {
        var positions = ParticipantSampler.SelectIndexes(1_000_000, new ParticipantSelection(0.01, 0, Seed: 3, Round: 1));

        Assert.Equal(10_000, positions.Length);
        Assert.Equal(positions.Length, positions.Distinct().Count());
        Assert.All(positions, p => Assert.InRange(p, 0, 999_999));
    }
}
