using System.Reflection;
using Microsoft.Extensions.DependencyModel;

namespace FLOps.Gateway.Tests;

/// <summary>
/// A gateway is an Orleans client of a cluster: it needs the grain interfaces, the client, its
/// telemetry and the cluster's database, never the server (issue 18). This project itself hosts a
/// silo for its fixture, so both facts start from the gateway, not from what this process loaded.
/// </summary>
public sealed class ThinClientTests
{
    /// <summary>Assemblies of the server side: the grains, how silos are built, their storage, the Orleans runtime.</summary>
    private static readonly string[] ServerAssemblies = ["FLOps.Grains", "FLOps.Hosting", "FLOps.Storage", "Orleans.Runtime", "Orleans.Reminders"];

    /// <summary>The same as packages and projects (Microsoft.Orleans.Server is a package of packages, with no assembly of its own).</summary>
    private static readonly string[] ServerPackages = ["FLOps.Grains", "FLOps.Hosting", "FLOps.Storage", "Microsoft.Orleans.Server", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Reminders"];

    [Fact]
    public void The_gateway_assembly_reaches_neither_grains_hosting_storage_nor_the_Orleans_runtime_through_any_reference()
    {
        var gateway = typeof(GatewayApp).Assembly.GetName();
        var pathTo = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [gateway.Name!] = gateway.Name! };
        var pending = new Queue<AssemblyName>([gateway]);
        var found = new List<string>();
        while (pending.TryDequeue(out var name))
        {
            Assembly assembly;
            try
            {
                assembly = Assembly.Load(name);
            }
            catch (FileNotFoundException)
            {
                continue;   // not part of this process's runtime closure, so of the gateway's neither; its name was checked below
            }

            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!pathTo.TryAdd(reference.Name!, $"{pathTo[name.Name!]} → {reference.Name}"))
                {
                    continue;
                }

                if (ServerAssemblies.Contains(reference.Name, StringComparer.OrdinalIgnoreCase))
                {
                    found.Add(pathTo[reference.Name!]);
                }

                pending.Enqueue(reference);
            }
        }

        Assert.True(found.Count == 0, $"the gateway reaches the server: {string.Join("; ", found)}");
        Assert.Contains("Orleans.Core", pathTo.Keys);   // the walk did reach past the gateway: it is an Orleans client
    }

    /// <summary>
    /// The compiler leaves out a referenced project whose types the code does not use, so the walk
    /// above would miss a <c>ProjectReference</c> back to Hosting; the dependency graph that
    /// restore wrote for this test project (its deps.json) keeps it.
    /// </summary>
    [Fact]
    public void The_gateway_project_depends_on_neither_grains_hosting_storage_nor_the_Orleans_server_even_transitively()
    {
        var libraries = DependencyContext.Load(typeof(ThinClientTests).Assembly)!.RuntimeLibraries.ToDictionary(l => l.Name, StringComparer.OrdinalIgnoreCase);
        var gateway = typeof(GatewayApp).Assembly.GetName().Name!;
        var pathTo = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [gateway] = gateway };
        var pending = new Queue<string>([gateway]);
        var found = new List<string>();
        while (pending.TryDequeue(out var name))
        {
            foreach (var dependency in libraries[name].Dependencies)
            {
                if (!pathTo.TryAdd(dependency.Name, $"{pathTo[name]} → {dependency.Name}"))
                {
                    continue;
                }

                if (ServerPackages.Contains(dependency.Name, StringComparer.OrdinalIgnoreCase))
                {
                    found.Add(pathTo[dependency.Name]);
                }

                if (libraries.ContainsKey(dependency.Name))
                {
                    pending.Enqueue(dependency.Name);
                }
            }
        }

        Assert.True(found.Count == 0, $"the gateway depends on the server: {string.Join("; ", found)}");
        Assert.Contains("Microsoft.Orleans.Client", pathTo.Keys);
    }
}
