using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FLOps.Grains.Services;
using FLOps.Learning.Data;
using FLOps.Learning.Evaluation;
using FLOps.Learning.Models;
using FLOps.Learning.Training;

namespace FLOps.Cli.Bench;

/// <summary>Counts every grain call that arrives at a grain of the bench silo, by interface method.</summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _ticks = new(StringComparer.Ordinal);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = $"{context.InterfaceName}.{context.MethodName}";
        _calls.AddOrUpdate(method, 1, static (_, n) => n + 1);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke();
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).Ticks;
            _ticks.AddOrUpdate(method, elapsed, (_, n) => n + elapsed);
        }
    }

    /// <summary>Seconds from a call's arrival at its grain to its answer, summed by method (turns included, queueing before the turn not).</summary>
    public IReadOnlyDictionary<string, double> BusySeconds() =>
        _ticks.ToDictionary(p => p.Key, p => p.Value / (double)TimeSpan.TicksPerSecond, StringComparer.Ordinal);

    /// <summary>Calls so far, by <c>interface.method</c>.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_calls, StringComparer.Ordinal);
}

/// <summary>
/// The thread-pool training service, measuring the CPU time of each local training (the CPU time
/// of the thread that ran it, so that waiting for a core is not counted as compute).
/// </summary>
public sealed class MeasuredTrainingService : ILocalTrainingService
{
    private long _trainingTicks;
    private long _trainings;

    /// <summary>CPU seconds spent in <see cref="LocalTrainer.Train"/> so far, summed over threads.</summary>
    public double TrainingCpuSeconds => Interlocked.Read(ref _trainingTicks) / (double)TimeSpan.TicksPerSecond;

    public long Trainings => Interlocked.Read(ref _trainings);

    public Task<TrainingReport> TrainAsync(
        string deviceId, ModelArchitecture architecture, float[] parameters, Dataset data, TrainingOptions options, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                var started = ThreadCpuTime.Now();
                var report = LocalTrainer.Train(architecture, parameters, data, options, cancellationToken);
                Interlocked.Add(ref _trainingTicks, (ThreadCpuTime.Now() - started).Ticks);
                Interlocked.Increment(ref _trainings);
                return report;
            },
            cancellationToken);

    public Task<EvaluationResult> EvaluateAsync(ModelArchitecture architecture, float[] parameters, Dataset data, CancellationToken cancellationToken) =>
        Task.Run(() => ModelEvaluator.Evaluate(architecture, parameters, data), cancellationToken);
}

/// <summary>CPU time of the calling thread (Linux: <c>CLOCK_THREAD_CPUTIME_ID</c>); elsewhere, elapsed time.</summary>
public static partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsCpuTime { get; } = OperatingSystem.IsLinux() && TryRead(out _);

    public static TimeSpan Now() =>
        IsCpuTime && TryRead(out var cpu) ? cpu : Stopwatch.GetElapsedTime(0);

    private static bool TryRead(out TimeSpan time)
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var spec) == 0)
        {
            time = TimeSpan.FromTicks((spec.Seconds * TimeSpan.TicksPerSecond) + (spec.Nanoseconds / 100));
            return true;
        }

        time = TimeSpan.Zero;
        return false;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
