using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Projects;

/// <summary>
/// The seeds a project's randomness follows. Flat rounds and an edge cluster's inner rounds take
/// theirs from here, so a hierarchical run with one inner round per cycle selects and trains
/// exactly as the classic run does.
/// </summary>
internal static class ProjectSeeds
{
    /// <summary>The simulation's seed, else one from the project id.</summary>
    public static int Of(ProjectSpec spec, string projectId) => spec.Simulation?.Seed ?? StableHash.Of(projectId);

    /// <summary>The seed of flat round <paramref name="round"/> (1-based) of a project.</summary>
    public static int OfRound(int projectSeed, int round) => StableHash.Combine(projectSeed, round);
}
