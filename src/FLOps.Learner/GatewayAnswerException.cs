namespace FLOps.Learner;

/// <summary>An answer of the gateway that breaks the protocol: unexpected status, oversized or malformed body.</summary>
internal sealed class GatewayAnswerException(string message) : Exception(message)
{
}
