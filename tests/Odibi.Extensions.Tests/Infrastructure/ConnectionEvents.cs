namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>A connection's status changes as its <c>StatusChanged</c> event reports them: recorded, never sampled.</summary>
internal static class ConnectionEvents
{
    /// <summary>Completes when <paramref name="connection"/> next moves to <paramref name="status"/>.</summary>
    public static Task Reaches(AdlsConnection connection, ConnectionStatus status)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.StatusChanged += (_, change) =>
        {
            if (change.Status == status)
            {
                reached.TrySetResult();
            }
        };
        return reached.Task;
    }

    /// <summary>Records every status <paramref name="connection"/> moves to from now on, in order (lock the list to read it while it may grow).</summary>
    public static List<ConnectionStatus> Record(AdlsConnection connection)
    {
        var transitions = new List<ConnectionStatus>();
        connection.StatusChanged += (_, change) =>
        {
            lock (transitions)
            {
                transitions.Add(change.Status);
            }
        };
        return transitions;
    }
}
