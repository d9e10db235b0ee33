namespace FLOps.Learner;

/// <summary>
/// The ids of the last <see cref="Capacity"/> tasks added, forgetting the oldest first, so that a
/// gateway handing out endless new ids cannot grow the agent's memory.
/// </summary>
public sealed class RecentTaskIds
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public RecentTaskIds(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _ids.Count;

    public bool Contains(string id) => _ids.Contains(id);

    /// <summary>Adds <paramref name="id"/>; false if it was already there.</summary>
    public bool Add(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_ids.Add(id))
        {
            return false;
        }

        _order.Enqueue(id);
        if (_order.Count > Capacity)
        {
            _ids.Remove(_order.Dequeue());
        }

        return true;
    }
}
