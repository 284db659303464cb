namespace Odibi.Extensions.Internal.Health;

/// <summary>Marks a health check name as registered, so adding it twice adds it once.</summary>
internal sealed class OdibiHealthCheckRegistration;
