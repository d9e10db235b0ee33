using FLOps.Abstractions.Projects;
using FLOps.Abstractions.Rounds;
using FLOps.Learning.Aggregation;
using Npgsql;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>One row of <c>flops_update_journal</c>: an update the round acknowledged.</summary>
public sealed record JournalRow(string DeviceId, string UpdateHash, long SampleCount);

/// <summary>
/// What must hold of a project however its run was disturbed: each round recorded once and in
/// order, each recorded round made of exactly the updates its journal holds, and the model the
/// project ends with the last link of a chain of such aggregates.
/// </summary>
public static class ProjectInvariants
{
    /// <summary>The journal's rows of one round attempt, by device (the primary key allows one per device).</summary>
    public static async Task<IReadOnlyList<JournalRow>> JournalRows(string connectionString, string projectId, int round, int attempt = 0)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT device_id, update_hash, sample_count FROM flops_update_journal WHERE project_id = $1 AND round = $2 ORDER BY device_id COLLATE \"C\"",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = attempt == 0 ? projectId : $"{projectId}#attempt{attempt}" });
        command.Parameters.Add(new NpgsqlParameter { Value = round });
        var rows = new List<JournalRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new JournalRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }

    /// <summary>The devices a round grain aggregated, in ordinal order (the project's summary only counts them).</summary>
    public static async Task<IReadOnlyList<string>> Aggregated(IGrainFactory grains, string roundKey)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return await grains.GetGrain<IRoundGrain>(roundKey).GetParticipantIds();
    }

    /// <summary>
    /// Rounds 1..n, each once; a completed project has all of its rounds; each round's base model is
    /// the previous round's model and the project's model is the last round's; each round's
    /// participants (as its round grain keeps them) are exactly the devices its journal holds; and
    /// for FedAvg without privacy, each round's model is the sample-weighted mean of its journaled updates.
    /// </summary>
    public static async Task AssertHold(string connectionString, IGrainFactory grains, ProjectSnapshot project)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(project);
        var rounds = project.Rounds;
        Assert.Equal(Enumerable.Range(1, rounds.Count), rounds.Select(r => r.Round));
        if (project.State == ProjectState.Completed)
        {
            Assert.Equal(project.TotalRounds, rounds.Count);
        }

        if (rounds.Count > 0)
        {
            Assert.Equal(rounds[^1].Model, project.Model);
        }

        for (var i = 1; i < rounds.Count; i++)
        {
            Assert.True(rounds[i - 1].Model == rounds[i].BaseModel, $"round {rounds[i].Round} started from {rounds[i].BaseModel}, not round {rounds[i - 1].Round}'s model {rounds[i - 1].Model}");
        }

        var averaged = project.Spec is { Privacy: null } spec && spec.Strategy.Name == FedAvgStrategy.StrategyName;
        foreach (var round in rounds)
        {
            var journal = await JournalRows(connectionString, project.Id, round.Round, round.Attempt);
            var aggregated = await Aggregated(grains, IRoundGrain.KeyFor(project.Id, round.Round, round.Attempt));
            Assert.True(
                journal.Select(r => r.DeviceId).Order(StringComparer.Ordinal).SequenceEqual(aggregated),
                $"round {round.Round} aggregated [{string.Join(", ", aggregated)}] but its journal holds [{string.Join(", ", journal.Select(r => r.DeviceId))}]");
            Assert.Equal(journal.Count, round.Participants);
            if (averaged)
            {
                var mean = new WeightedMeanRound(round.Model.ParameterCount);
                foreach (var row in journal)
                {
                    mean.Add(await Blob(connectionString, row.UpdateHash), row.SampleCount);
                }

                var expected = mean.Complete();
                var stored = await Blob(connectionString, round.Model.Hash);
                Assert.Equal(expected.Length, stored.Length);
                var worst = Enumerable.Range(0, stored.Length).Max(i => Math.Abs(expected[i] - stored[i]));
                Assert.True(worst <= 1e-6, $"round {round.Round}'s model differs from the mean of its journaled updates by up to {worst}");
            }
        }
    }

    private static async Task<float[]> Blob(string connectionString, string hash)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT bytes FROM flops_blobs WHERE hash = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        var bytes = await command.ExecuteScalarAsync() as byte[] ?? throw new KeyNotFoundException($"blob {hash} is not in flops_blobs");
        return global::System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
