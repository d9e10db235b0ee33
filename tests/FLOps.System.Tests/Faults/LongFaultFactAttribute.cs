namespace FLOps.System.Tests.Faults;

/// <summary>A fault test that takes minutes of outage: run only when <c>FLOPS_LONG_FAULTS=1</c>, skipped with that reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LongFaultFactAttribute : FactAttribute
{
    public const string Switch = "FLOPS_LONG_FAULTS";

    public LongFaultFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Switch) != "1")
        {
            Skip = $"a long fault (minutes of outage, beyond the CI budget): set {Switch}=1 to run it";
        }
    }
}
