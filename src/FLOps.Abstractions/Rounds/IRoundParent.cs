using FLOps.Abstractions.Projects;
using Orleans.Concurrency;

namespace FLOps.Abstractions.Rounds;

/// <summary>
/// Whatever started a round (or a hierarchical cycle) and hears how it ended: a project, or an
/// edge aggregator for its inner rounds. The round reports to <see cref="RoundPlan.Parent"/>
/// without knowing which kind it is.
/// </summary>
[Alias("flops.IRoundParent")]
public interface IRoundParent : IGrainWithStringKey
{
    /// <summary>
    /// A round ended, with its result. One-way, so that a round never waits on its parent while
    /// the parent may be waiting on the round; a round offers its outcome again whenever its
    /// parent asks it to start.
    /// </summary>
    [Alias("OnRoundEnded"), OneWay]
    Task OnRoundEnded(RoundOutcome outcome);
}
