using FLOps.Grains.Rounds;
using Orleans.Runtime.Messaging;

namespace FLOps.Grains.Tests.Rounds;

public sealed class TaskDeliveryTests
{
    [Fact]
    public void A_call_to_a_silo_that_died_or_did_not_answer_is_undelivered_and_sent_again()
    {
        Assert.True(TaskDelivery.IsUndelivered(new SiloUnavailableException("declared dead")));
        Assert.True(TaskDelivery.IsUndelivered(new TimeoutException("no answer in 30 s")));
        Assert.True(TaskDelivery.IsUndelivered(new ConnectionFailedException("refused")));
    }

    [Fact]
    public void A_device_that_refused_the_task_is_not_asked_again()
    {
        Assert.False(TaskDelivery.IsUndelivered(new InvalidOperationException("the task belongs to another tenant")));
        Assert.False(TaskDelivery.IsUndelivered(new ArgumentException("bad task")));
    }
}
