using System.Runtime.CompilerServices;

// The CNN's kernels (Sgemm, CnnLayers) are tested directly against naive loops.
[assembly: InternalsVisibleTo("FLOps.Learning.Tests")]
