namespace Odibi.Extensions.Internal;

internal sealed class OdibiConnectionsBuilder(IServiceCollection services) : IOdibiConnectionsBuilder
{
    public IServiceCollection Services { get; } = services;
}
