namespace FLOps.System.Tests.Infrastructure;

/// <summary>One in-memory <c>flops serve</c> process shared by the tests of a class.</summary>
public sealed class InMemoryServe : IAsyncLifetime
{
    public ServeApi Api { get; private set; } = null!;

    public async Task InitializeAsync() => Api = await ServeApi.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();
}
