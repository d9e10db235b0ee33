using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FLOps.Hosting.Logging;

/// <summary>The console logging of every FLOps host: one line per entry, from <paramref name="minimum"/> up, without Orleans' noise.</summary>
public static class FlopsLogging
{
    public static ILoggingBuilder AddFlopsConsole(this ILoggingBuilder logging, LogLevel minimum = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.AddConsole(o => o.FormatterName = FlopsConsoleFormatter.FormatterName)
            .AddConsoleFormatter<FlopsConsoleFormatter, ConsoleFormatterOptions>()
            .SetMinimumLevel(minimum);

        // A durable cluster sets a reminder period below Orleans' production minimum on purpose
        // (--project-tick, 10 s by default); the validator warns about it at every start.
        logging.AddFilter("Orleans.Hosting.ReminderOptionsValidator", LogLevel.Error);
        return logging;
    }
}
