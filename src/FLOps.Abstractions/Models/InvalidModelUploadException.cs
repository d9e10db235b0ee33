namespace FLOps.Abstractions.Models;

/// <summary>An uploaded model that cannot be federated; the message says why, for the uploader.</summary>
[GenerateSerializer, Alias("flops.InvalidModelUploadException")]
public sealed class InvalidModelUploadException : Exception
{
    public InvalidModelUploadException(string message)
        : base(message)
    {
    }

    public InvalidModelUploadException()
    {
    }

    public InvalidModelUploadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
