namespace FLOps.ServiceClient;

/// <summary>Anything that went wrong talking to the gateway; the message is one line, fit to show a user.</summary>
public abstract class FlopsServiceException : Exception
{
    protected FlopsServiceException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The gateway answered with an error status; <see cref="Reason"/> is its problem details
/// (RFC 7807) in one line: the detail or title, and each field's error of a validation problem.
/// </summary>
public sealed class GatewayRefusedException : FlopsServiceException
{
    public GatewayRefusedException(int status, string reason)
        : base(reason)
    {
        Status = status;
        Reason = reason;
    }

    public int Status { get; }

    public string Reason { get; }

    /// <summary>400, 404, 413 or 422: the request itself is wrong (a spec, an id, a file); asking again will not help.</summary>
    public bool IsCallersMistake => Status is 400 or 404 or 413 or 422;

    public bool IsUnauthorized => Status == 401;
}

/// <summary>No answer from the gateway: connection refused, name not found, TLS refused, a timeout, a broken connection.</summary>
public sealed class GatewayUnreachableException : FlopsServiceException
{
    public GatewayUnreachableException(Uri gateway, string reason, Exception? innerException = null)
        : base($"could not reach the gateway at {gateway}: {reason}", innerException)
    {
        Gateway = gateway;
    }

    public Uri Gateway { get; }
}

/// <summary>An answer the client cannot use: a body that is not what the API promises, or a route the gateway does not have.</summary>
public sealed class GatewayAnswerException : FlopsServiceException
{
    public GatewayAnswerException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
