using FLOps.Abstractions.Projects;
using FLOps.Protocol;

namespace FLOps.Gateway.Tests;

/// <summary>The wire views of FLOps.Protocol against the grains' types they show.</summary>
public sealed class ProjectViewsTests
{
    [Fact]
    public void The_protocols_states_are_the_projects_states_by_name_and_in_order() =>
        Assert.Equal(Enum.GetNames<ProjectState>(), ProjectStates.All);

    [Fact]
    public void A_terminal_state_is_terminal_in_both()
    {
        foreach (var state in Enum.GetValues<ProjectState>())
        {
            Assert.Equal(state.IsTerminal(), ProjectStates.IsTerminal(ProjectViews.Of(new ProjectSnapshot { Id = "p", State = state }).State));
        }
    }
}
