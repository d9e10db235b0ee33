using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FLOps.Abstractions.Projects;

namespace FLOps.Grains.Telemetry;

/// <summary>
/// What lives on this silo: each grain reports itself on activation, on every change and on
/// deactivation, so a gauge counts only the grains this silo holds now. A grain is active on one
/// silo at a time, so a sum over silos counts each project and device once, also after it moved.
/// </summary>
public static partial class FlopsMetrics
{
    /// <summary>How recently a device must have got a task or sent an update to count as active.</summary>
    public static readonly TimeSpan ActiveDeviceWindow = TimeSpan.FromMinutes(5);

    /// <summary>The cluster of devices that name none (every simulated device); always reported.</summary>
    public const string DefaultDeviceCluster = "default";

    private static readonly ProjectState[] States = Enum.GetValues<ProjectState>();
    private static readonly ConcurrentDictionary<string, ProjectState> ProjectsHere = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, DeviceHere> DevicesHere = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string Role, string Cluster), int> SilosHere = new();
    private static readonly ConcurrentDictionary<string, ModelHere> ModelsHere = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, OpenRound> RoundsOpenHere = new(StringComparer.Ordinal);

    /// <summary>A project grain active here is in <paramref name="state"/> (called on activation and on every transition).</summary>
    public static void ProjectIs(string projectId, ProjectState state) => ProjectsHere[projectId] = state;

    /// <summary>The project grain left this silo (deactivated): its state and its model are no longer reported here.</summary>
    public static void ProjectLeft(string projectId)
    {
        ProjectsHere.TryRemove(projectId, out _);
        ModelsHere.TryRemove(projectId, out _);
    }

    /// <summary>
    /// The latest global model of a project grain active here scored <paramref name="accuracy"/>
    /// and <paramref name="loss"/> (called on activation and after each recorded round).
    /// </summary>
    public static void ProjectModelIs(string projectId, double accuracy, double loss) => ModelsHere[projectId] = new ModelHere(accuracy, loss);

    /// <summary>A round grain active here is open until <paramref name="deadline"/> (called when it opens or resumes).</summary>
    public static void RoundOpen(string roundKey, string projectId, DateTimeOffset deadline) => RoundsOpenHere[roundKey] = new OpenRound(projectId, deadline);

    /// <summary>The round closed, failed, was aborted or left this silo.</summary>
    public static void RoundNotOpen(string roundKey) => RoundsOpenHere.TryRemove(roundKey, out _);

    /// <summary>A device grain with a profile is active here.</summary>
    public static void DeviceIs(string deviceId, string cluster) => DevicesHere.GetOrAdd(deviceId, static _ => new DeviceHere()).Cluster = cluster;

    /// <summary>The device got a task or sent an update now (twice per device and round: no allocation).</summary>
    public static void DeviceWorked(string deviceId)
    {
        if (DevicesHere.TryGetValue(deviceId, out var device))
        {
            device.LastActive = Environment.TickCount64;
        }
    }

    /// <summary>The device grain left this silo (deactivated).</summary>
    public static void DeviceLeft(string deviceId) => DevicesHere.TryRemove(deviceId, out _);

    /// <summary>A silo of this process runs with <paramref name="role"/>; dispose when it stops.</summary>
    public static IDisposable SiloRunning(string role, string cluster)
    {
        var key = (role, cluster);
        SilosHere.AddOrUpdate(key, 1, static (_, n) => n + 1);
        return new SiloRegistration(key);
    }

    private static IEnumerable<Measurement<long>> ProjectsByState()
    {
        var counts = new long[States.Length];
        foreach (var state in ProjectsHere.Values)
        {
            counts[(int)state]++;
        }

        return States.Select(s => new Measurement<long>(counts[(int)s], new KeyValuePair<string, object?>("state", s.ToString())));
    }

    private static IEnumerable<Measurement<long>> RegisteredDevicesByCluster() => DevicesByCluster(static _ => true);

    private static IEnumerable<Measurement<long>> ActiveDevicesByCluster()
    {
        var since = Environment.TickCount64 - (long)ActiveDeviceWindow.TotalMilliseconds;
        return DevicesByCluster(d => d.LastActive >= since);
    }

    private static IEnumerable<Measurement<long>> DevicesByCluster(Func<DeviceHere, bool> counts)
    {
        var byCluster = new Dictionary<string, long>(StringComparer.Ordinal) { [DefaultDeviceCluster] = 0 };
        foreach (var device in DevicesHere.Values)
        {
            byCluster[device.Cluster] = byCluster.GetValueOrDefault(device.Cluster) + (counts(device) ? 1 : 0);
        }

        return byCluster.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("cluster", c.Key)));
    }

    private static IEnumerable<Measurement<long>> SilosByRole() =>
        SilosHere.Where(s => s.Value > 0).Select(s => new Measurement<long>(s.Value, new("role", s.Key.Role), new("cluster", s.Key.Cluster)));

    private static IEnumerable<Measurement<double>> LatestModels(Func<ModelHere, double> pick) =>
        ModelsHere.Select(p => new Measurement<double>(pick(p.Value), new KeyValuePair<string, object?>("project", p.Key)));

    /// <summary>One series per project: in hierarchical mode its clusters' inner rounds are open side by side.</summary>
    private static IEnumerable<Measurement<double>> RoundDeadlines() =>
        RoundsOpenHere.Values
            .GroupBy(r => r.ProjectId, StringComparer.Ordinal)
            .Select(g => new Measurement<double>(g.Max(r => r.Deadline).ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("project", g.Key)));

    /// <summary>Updated in place: a device's entry changes on every task, and a reader only needs a recent value.</summary>
    private sealed class DeviceHere
    {
        private string _cluster = DefaultDeviceCluster;
        private long _lastActive = long.MinValue;

        public string Cluster
        {
            get => Volatile.Read(ref _cluster);
            set => Volatile.Write(ref _cluster, value);
        }

        /// <summary><see cref="Environment.TickCount64"/> of the last task or update; <see cref="long.MinValue"/> for never.</summary>
        public long LastActive
        {
            get => Volatile.Read(ref _lastActive);
            set => Volatile.Write(ref _lastActive, value);
        }
    }

    private sealed record ModelHere(double Accuracy, double Loss);

    private sealed record OpenRound(string ProjectId, DateTimeOffset Deadline);

    private sealed class SiloRegistration((string Role, string Cluster) key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                SilosHere.AddOrUpdate(key, 0, static (_, n) => n - 1);
            }
        }
    }
}
