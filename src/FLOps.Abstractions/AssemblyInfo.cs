namespace FLOps.Abstractions;
