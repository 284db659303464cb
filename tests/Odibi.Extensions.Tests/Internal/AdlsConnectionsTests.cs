using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests.Internal;

public class AdlsConnectionsTests
{
    private readonly IAdlsConnections _connections;

    public AdlsConnectionsTests()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(TestConfiguration.FromFile("all-modes.json"));
        _connections = services.BuildServiceProvider().GetRequiredService<IAdlsConnections>();
    }

    [Fact]
    public void Indexer_UnknownName_ThrowsListingConfiguredNames()
    {
        var exception = Assert.Throws<KeyNotFoundException>(() => _connections["platinum"]);

        Assert.Equal(
            "No Odibi connection is named 'platinum'. Configured connections: bronze, dev, mi, partner, spn. Fix the name, or add the connection under Odibi:Connections:platinum.",
            exception.Message);
    }

    [Fact]
    public void TryGet_KnownNameAnyCase_FindsConnection()
    {
        Assert.True(_connections.TryGet("Silver", out _) is false);
        Assert.True(_connections.TryGet("PARTNER", out var partner));
        Assert.Equal("partner", partner.Name);
    }

    [Fact]
    public void Enumeration_FollowsConfigurationOrder()
    {
        // IConfiguration presents sections ordered by key, so that is the configuration order.
        Assert.Equal(["bronze", "dev", "mi", "partner", "spn"], _connections.Select(c => c.Name));
        Assert.Equal(5, _connections.Count);
    }

    [Fact]
    public void Enumeration_ConfiguredInCode_FollowsInsertionOrder()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(options =>
        {
            foreach (var name in new[] { "zeta", "alpha", "mid" })
            {
                options.Connections[name] = new AdlsConnectionOptions { Account = "acct001", Container = "data", AuthMode = AdlsAuthMode.ManagedIdentity };
            }
        });

        Assert.Equal(["zeta", "alpha", "mid"], services.BuildServiceProvider().GetRequiredService<IAdlsConnections>().Select(c => c.Name));
    }
}
