using System.Buffers.Text;
using System.Text;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public class TokenTenantTests
{
    [Fact]
    public void Of_EntraShapedToken_ReadsItsTidClaim()
    {
        Assert.Equal("tenant-a", TokenTenant.Of(CountingTokenCredential.TokenFor("tenant-a")));
        Assert.Equal("72f988bf-86f1-41af-91ab-2d7cd011db47", TokenTenant.Of(Jwt("""{"aud":"https://vault.azure.net","iss":"x","nested":{"tid":"no"},"roles":["a","b"],"tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","xms_cc":["cp1"]}""")));
    }

    [Theory]
    [InlineData("local-key-vault-token")]       // opaque
    [InlineData("a.b")]                         // one dot: no payload end
    [InlineData("a.!!!.c")]                     // not base64url
    [InlineData("a..c")]                        // empty payload
    [InlineData("")]                            // a credential's empty token
    [InlineData(null)]                          // or none at all
    public void Of_NotAJwt_NamesNoTenant(string? token)
    {
        Assert.Null(TokenTenant.Of(token));
    }

    [Theory]
    [InlineData("""["tid","tenant-a"]""")]                 // not an object
    [InlineData("""{"nested":{"tid":"tenant-a"}}""")]      // not at the top
    [InlineData("""{"tid":42}""")]                         // not a string
    [InlineData("""{"aud":"x","tid" """)]                  // cut short
    public void Of_PayloadWithoutATopLevelStringTid_NamesNoTenant(string payload)
    {
        Assert.Null(TokenTenant.Of(Jwt(payload)));
    }

    [Theory]
    [InlineData("10ca1ca1-7e57-4000-8000-000000000001", "10CA1CA1-7E57-4000-8000-000000000001", true)]
    [InlineData("10ca1ca1-7e57-4000-8000-000000000001", "{10ca1ca1-7e57-4000-8000-000000000001}", true)]
    [InlineData("10ca1ca1-7e57-4000-8000-000000000001", "10ca1ca1-7e57-4000-8000-000000000002", false)]
    [InlineData("contoso.onmicrosoft.com", "CONTOSO.onmicrosoft.com", true)]
    [InlineData("contoso", "fabrikam", false)]
    public void IsIn_ComparesAGuidAsOneAndANameIgnoringCase(string tid, string named, bool expected)
    {
        Assert.Equal(expected, TokenTenant.IsIn(CountingTokenCredential.TokenFor(tid), named));
    }

    [Fact]
    public void Of_TidNotValidUtf8_NamesNoTenant()
    {
        var payload = Encoding.UTF8.GetBytes("""{"tid":"x"}""");
        payload[8] = 0xFF; // the x
        Assert.Null(TokenTenant.Of(Base64Url.EncodeToString("""{"alg":"none"}"""u8) + "." + Base64Url.EncodeToString(payload) + "."));
    }

    private static string Jwt(string payload) =>
        Base64Url.EncodeToString("""{"alg":"none"}"""u8) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + ".";
}
