using System.CommandLine;
using FLOps.ServiceClient;
using FLOps.Storage;

namespace FLOps.Cli;

/// <summary>A command-line mistake: exit code 2 and one line on stderr, never a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    public UsageException()
        : this("invalid usage")
    {
    }

    public UsageException(string message, Exception innerException)
        : this(message) => _ = innerException;
}

/// <summary>A failure of the environment the command runs in (a port taken): exit code 1 and one line on stderr.</summary>
public sealed class EnvironmentException(string message) : Exception(message)
{
    public EnvironmentException()
        : this("the environment refused")
    {
    }

    public EnvironmentException(string message, Exception innerException)
        : this(message) => _ = innerException;
}

public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

public static class CommandLineRunner
{
    /// <summary>
    /// Keeps a started host running until Ctrl-C or SIGTERM, then stops it gracefully. The host's
    /// own console lifetime may take the signal first, so its stopping token counts as well.
    /// </summary>
    public static async Task<int> RunUntilCancelledAsync(Microsoft.Extensions.Hosting.IHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var stopping = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(host.Services).ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await host.StopAsync(CancellationToken.None);
        return ExitCodes.Success;
    }

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"flops: {parsed.Errors[0].Message}");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"flops: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (DatabaseUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"flops: {e.Message}");
            return e.IsMalformed ? ExitCodes.Usage : ExitCodes.Failure;
        }
        catch (GatewayRefusedException e) when (e.IsUnauthorized || e.IsCallersMistake)
        {
            // The gateway's word on what the user gave it (a spec, an id, a key): a mistake of the call, as a bad argument is.
            await Console.Error.WriteLineAsync(e.IsUnauthorized ? $"flops: the gateway refused the API key ({e.Reason})" : $"flops: {e.Reason}");
            return ExitCodes.Usage;
        }
        catch (FlopsServiceException e)
        {
            await Console.Error.WriteLineAsync($"flops: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("flops: cancelled");
            return ExitCodes.Failure;
        }
        catch (EnvironmentException e)
        {
            await Console.Error.WriteLineAsync($"flops: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
