using System.Runtime.CompilerServices;

// The CNN's kernels (Sgemm, CnnLayers) are tested directly against naive loops, and its network
// at shapes the catalogue does not build (small enough to check every gradient).
[assembly: InternalsVisibleTo("FLOps.Learning.Tests")]
