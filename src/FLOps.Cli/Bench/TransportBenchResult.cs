namespace FLOps.Cli.Bench;

/// <summary>The <c>--json</c> object of <c>flops bench transport</c>; <see cref="TlsRatio"/> is TLS time over plaintext time.</summary>
public sealed record TransportBenchResult(
    int Parameters,
    int Updates,
    int Turns,
    double PlaintextSecondsPerUpdate,
    double TlsSecondsPerUpdate,
    double PlaintextMBs,
    double TlsMBs,
    double TlsRatio,
    int Cores);
