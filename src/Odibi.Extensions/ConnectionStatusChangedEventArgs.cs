namespace Odibi.Extensions;

/// <summary>The change of a connection's <see cref="AdlsConnection.Status"/>, for <see cref="AdlsConnection.StatusChanged"/>.</summary>
public sealed class ConnectionStatusChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="ConnectionStatusChangedEventArgs"/> class.</summary>
    /// <param name="previous">The status before the change.</param>
    /// <param name="status">The status after it.</param>
    public ConnectionStatusChangedEventArgs(ConnectionStatus previous, ConnectionStatus status)
    {
        Previous = previous;
        Status = status;
    }

    /// <summary>Gets the status before the change.</summary>
    public ConnectionStatus Previous { get; }

    /// <summary>Gets the status after the change.</summary>
    public ConnectionStatus Status { get; }
}
