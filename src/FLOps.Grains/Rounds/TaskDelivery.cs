using Orleans.Runtime.Messaging;

namespace FLOps.Grains.Rounds;

/// <summary>
/// Tells a task that never reached its device apart from a device that refused it. A call whose
/// target silo died, was declared dead, or did not answer in time says nothing about the device:
/// the round sends the task again rather than leaving the device out.
/// </summary>
public static class TaskDelivery
{
    public static bool IsUndelivered(Exception exception) => exception is
        SiloUnavailableException
        or OrleansMessageRejectionException
        or TimeoutException
        or ConnectionFailedException;
}
