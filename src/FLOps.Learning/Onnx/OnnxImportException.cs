namespace FLOps.Learning.Onnx;

/// <summary>An uploaded ONNX model that cannot be federated; the message says why, for the uploader.</summary>
public sealed class OnnxImportException : Exception
{
    public OnnxImportException(string message)
        : base(message)
    {
    }

    public OnnxImportException()
    {
    }

    public OnnxImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
