using System.Runtime.InteropServices;

namespace FLOps.Cli.Bench;

/// <summary>
/// The process's limit on open files, which caps how many learner connections one process can
/// hold (two descriptors each when the gateway runs in the same process). On Linux the soft
/// limit is raised to the hard one, as <c>ulimit -n $(ulimit -Hn)</c> would; raising the hard
/// limit itself takes privileges the bench does not ask for.
/// </summary>
public static partial class FileDescriptorLimit
{
    private const int ResourceOpenFiles = 7; // RLIMIT_NOFILE on Linux

    /// <summary>The soft limit after raising it as far as allowed; <c>null</c> where it is not known (not Linux).</summary>
    public static long? RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (GetLimit(ResourceOpenFiles, out var limit) != 0)
        {
            return null;
        }

        if (limit.Current < limit.Maximum && SetLimit(ResourceOpenFiles, new ResourceLimit { Current = limit.Maximum, Maximum = limit.Maximum }) == 0)
        {
            limit.Current = limit.Maximum;
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetLimit(int resource, in ResourceLimit limit);
}
