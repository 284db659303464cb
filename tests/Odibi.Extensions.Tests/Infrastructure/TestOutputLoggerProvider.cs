using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>
/// Writes a host's log to the test's output, one line an entry: the console logger shows that output for a failed test
/// only, so a passing test prints nothing and a failing one shows what its host logged.
/// </summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has finished ("There is no currently active test"): background work logging after it is dropped.
        }
    }

    private sealed class Logger(TestOutputLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"[+{provider._clock.Elapsed.TotalSeconds:0.000}s] {logLevel} {category}[{eventId.Name ?? eventId.Id.ToString(CultureInfo.InvariantCulture)}] {OneLine(formatter(state, exception))}");
            if (exception is not null)
            {
                line += $" ({exception.GetType().Name}: {exception.Message.Split('\n')[0].TrimEnd('\r')})";
            }

            provider.Write(line);
        }

        /// <summary>A message's lines (the SDK's request log lists headers on lines of their own) joined with " | ".</summary>
        private static string OneLine(string message) =>
            string.Join(" | ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
