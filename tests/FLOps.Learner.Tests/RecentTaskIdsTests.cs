namespace FLOps.Learner.Tests;

public sealed class RecentTaskIdsTests
{
    [Fact]
    public void Remembers_the_last_ids_up_to_its_capacity_and_forgets_the_oldest_first()
    {
        var ids = new RecentTaskIds(capacity: 3);

        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            Assert.True(ids.Add(id));
        }

        Assert.False(ids.Contains("a"));
        Assert.True(ids.Contains("b") && ids.Contains("c") && ids.Contains("d"));
        Assert.Equal(3, ids.Count);
    }

    [Fact]
    public void Adding_an_id_it_holds_changes_nothing()
    {
        var ids = new RecentTaskIds(capacity: 2);
        ids.Add("a");
        ids.Add("b");

        Assert.False(ids.Add("a"));
        Assert.True(ids.Contains("a") && ids.Contains("b"));
    }

    [Fact]
    public void Endless_new_ids_never_hold_more_than_the_capacity()
    {
        var ids = new RecentTaskIds(capacity: 1_000);

        for (var i = 0; i < 100_000; i++)
        {
            ids.Add($"task-{i}");
        }

        Assert.Equal(1_000, ids.Count);
        Assert.True(ids.Contains("task-99999"));
        Assert.False(ids.Contains("task-98999"));
    }
}
