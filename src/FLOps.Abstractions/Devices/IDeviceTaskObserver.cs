namespace FLOps.Abstractions.Devices;

/// <summary>
/// Where a registered device tells a gateway that a task arrived for it, so that the gateway's
/// long polls wait without asking the device again and again. One per gateway process.
/// </summary>
[Alias("flops.IDeviceTaskObserver")]
public interface IDeviceTaskObserver : IGrainObserver
{
    /// <summary>Device <paramref name="deviceId"/> now holds <paramref name="task"/>, its oldest pending one.</summary>
    [Alias("TaskPending")]
    void TaskPending(string deviceId, TrainingTask task);
}
