using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FLOps.System.Tests.Infrastructure;

/// <summary>One <c>flops</c> command in its own process (a silo, a server, a learner), as an operator would start it.</summary>
public sealed class CommandProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _stdout = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyPrefix;

    private CommandProcess(Process process, int siloPort, int gatewayPort, string readyPrefix)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        _readyPrefix = readyPrefix;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The operating system's id of the process, for <c>/proc/&lt;id&gt;/status</c>.</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the process printed so far, stdout and stderr interleaved.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>What the process printed so far on stdout alone.</summary>
    public string Stdout
    {
        get
        {
            lock (_log)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Starts <c>flops silo</c>; <paramref name="roleArgs"/> such as <c>--role edge --cluster edge-a</c>.</summary>
    public static Task<CommandProcess> StartAsync(string connectionString, string clusterId, double projectTickSeconds = 2, params string[] roleArgs)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        return StartAsync(
            ["silo", "--postgres", connectionString, "--silo-port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString(),
             "--cluster-id", clusterId, "--service-id", clusterId, "--project-tick", projectTickSeconds.ToString(global::System.Globalization.CultureInfo.InvariantCulture), .. roleArgs],
            "flops silo ready",
            siloPort,
            gatewayPort);
    }

    /// <summary>
    /// Starts <c>flops ARGS</c> (through <paramref name="launcher"/>: inside a network namespace, say)
    /// and waits until it prints a line starting with <paramref name="readyPrefix"/>.
    /// </summary>
    /// <param name="readyWithin">How long it may take to be ready (2 minutes unless said); a process not ready by then is killed.</param>
    public static async Task<CommandProcess> StartAsync(string[] args, string readyPrefix, int siloPort = 0, int gatewayPort = 0, IReadOnlyDictionary<string, string>? environment = null, Launcher? launcher = null, TimeSpan? readyWithin = null)
    {
        var process = Launch(args, readyPrefix, siloPort, gatewayPort, environment, launcher);
        var limit = readyWithin ?? TimeSpan.FromMinutes(2);
        try
        {
            await process._ready.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            await process.DisposeAsync();
            throw new TimeoutException($"{string.Join(' ', (launcher ?? Launcher.Local).CommandLine(args))} printed no '{readyPrefix}' within {limit}:\n{process.Log}");
        }

        return process;
    }

    /// <summary>Starts <c>flops ARGS</c> without waiting for it to be ready: for a process that is meant never to be.</summary>
    public static CommandProcess Launch(string[] args, string readyPrefix, int siloPort = 0, int gatewayPort = 0, IReadOnlyDictionary<string, string>? environment = null, Launcher? launcher = null)
    {
        var commandLine = (launcher ?? Launcher.Local).CommandLine(args);
        var start = new ProcessStartInfo(commandLine[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in commandLine.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var silo = new CommandProcess(new Process { StartInfo = start, EnableRaisingEvents = true }, siloPort, gatewayPort, readyPrefix);
        silo._process.OutputDataReceived += (_, e) => silo.Record(e.Data, stdout: true);
        silo._process.ErrorDataReceived += (_, e) => silo.Record(e.Data, stdout: false);
        silo._process.Exited += (_, _) => silo._ready.TrySetException(new InvalidOperationException("the silo exited before it was ready:\n" + silo.Log));
        silo._process.Start();
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Whether the process printed <paramref name="text"/> within <paramref name="limit"/> (output arrives asynchronously).</summary>
    public async Task<bool> PrintsWithin(string text, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Ends the process at once, as a crash or <c>kill -9</c> would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Sends SIGTERM, as a service manager or <c>kill</c> would, and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await SignalAsync("TERM");
        using var limit = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(limit.Token);
        return _process.ExitCode;
    }

    /// <summary>Freezes the process with SIGSTOP, as a stalled VM, a swap storm or a debugger would: it neither runs nor answers, and its sockets stay open.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Lets a paused process run again (SIGCONT), unaware that time passed.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>Whether the process exits within <paramref name="limit"/>, and with which code.</summary>
    public async Task<int?> ExitCodeWithin(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(global::System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Record(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
            if (stdout)
            {
                _stdout.AppendLine(line);
            }
        }

        if (line.StartsWith(_readyPrefix, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
